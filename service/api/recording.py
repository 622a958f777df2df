"""Committing an answer together with its audit rows, and replaying answers for Idempotency-Keys.

The answer is committed in the same transaction as the rows it reports, so a client never sees a
verdict that was not recorded, and a retry with the same key never screens twice.
"""

from __future__ import annotations

import logging

from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session

from service.api.deps import IdempotentRequest
from service.api.errors import IdempotencyConflict, StoreUnavailable
from service.store.idempotency import add_answer, find_answer
from service.store.keys import Caller

logger = logging.getLogger("service.api")
JSON = "application/json"


def replay(session: Session, caller: Caller, request: IdempotentRequest | None) -> Response | None:
    """The stored answer for a repeated Idempotency-Key; 409 if the key came with another request."""
    if request is None:
        return None
    stored = find_answer(session, caller.key_id, request.key)
    if stored is None:
        return None
    if stored.request_hash != request.request_hash:
        raise IdempotencyConflict(
            "This Idempotency-Key was already used with a different request; use a new key for new content."
        )
    return Response(stored.body, status_code=stored.status_code, media_type=JSON,
                     headers={"Idempotent-Replayed": "true"})


def commit_answer(
    session: Session, caller: Caller, request: IdempotentRequest | None, status: int, body: bytes
) -> Response:
    """Commit the pending rows (and the stored answer); 503 and no answer if the commit fails."""
    try:
        if request is not None:
            add_answer(session, caller.key_id, request.key, request.request_hash, status, body)
        session.commit()
    except IntegrityError:
        session.rollback()
        if request is not None:  # a concurrent retry with the same key committed first
            replayed = replay(session, caller, request)
            if replayed is not None:
                return replayed
        logger.error("audit commit failed (integrity)")
        raise StoreUnavailable("The audit record could not be written; nothing was screened. Retry later.") from None
    except SQLAlchemyError as exc:
        session.rollback()
        logger.error("audit commit failed: %s", type(exc).__name__)
        raise StoreUnavailable("The audit record could not be written; nothing was screened. Retry later.") from None
    return Response(body, status_code=status, media_type=JSON)
