"""The audit export over HTTP: `GET /v1/screenings.csv`, the listing's screenings as one streamed CSV file."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from service.api.deps import CallerDep, StateDep
from service.api.errors import StoreUnavailable, problem_responses
from service.api.filters import ScreeningFilterDep
from service.api.routing import CheckedRoute
from service.store.audit_export import audit_records, csv_chunks

router = APIRouter(route_class=CheckedRoute, prefix="/v1", tags=["screenings"])
logger = logging.getLogger("service.api")
CSV_TYPE = "text/csv; charset=utf-8"


@router.get(
    "/screenings.csv", response_class=StreamingResponse,
    responses={200: {"content": {CSV_TYPE: {}}, "description": "One CSV row per screening, newest first."},
               **problem_responses(401, 422, 503)},
    summary="The recorded screenings as a CSV file for the auditor",
)
def export_screenings(caller: CallerDep, state: StateDep, where: ScreeningFilterDep) -> StreamingResponse:
    """Streamed in pages, so any number of screenings is sent in constant memory. The first page is read
    before the answer starts: a database that does not answer is a 503, not an empty file."""
    session = Session(state.engine)
    chunks = csv_chunks(audit_records(session, where))
    try:
        first = next(chunks)
    except SQLAlchemyError as exc:
        session.close()
        logger.error("audit export failed: %s", type(exc).__name__)
        raise StoreUnavailable("The audit trail could not be read; nothing was exported. Retry later.") from None
    return StreamingResponse(
        _rest(session, first, chunks), media_type=CSV_TYPE,
        headers={"Content-Disposition": 'attachment; filename="screenings.csv"'},
    )


def _rest(session: Session, first: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The first chunk, then the others; the session is closed when the stream ends or the client leaves.

    A database failure half way cuts the connection without the closing chunk, so the client sees a failed
    download rather than a file that looks complete."""
    with session:
        yield first
        try:
            yield from chunks
        except SQLAlchemyError as exc:
            logger.error("audit export failed part way: %s", type(exc).__name__)
            raise
