"""FastAPI dependencies as Annotated aliases in domain words: SessionDep, ContextDep, CallerDep, ..."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.datastructures import UploadFile

from service.api.errors import Forbidden, RulesUnavailable, Unauthorized, request_id_of
from service.api.state import ServiceState
from service.engine.screen import ScreeningContext
from service.settings import Settings
from service.store.keys import Caller, Role, find_caller, hash_secret

bearer_scheme = HTTPBearer(auto_error=False, description="`Authorization: Bearer <API key>`")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key in `X-API-Key`.")


async def get_state(request: Request) -> ServiceState:
    """The running service's state (set by the lifespan)."""
    state: ServiceState = request.app.state.service
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


async def get_settings(state: StateDep) -> Settings:
    """The settings the app was created with."""
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(state: StateDep) -> AsyncIterator[Session]:
    """One session per request; the handler commits, so the request owns the transaction.

    Creating and closing a session does no I/O worth a thread hop (it connects lazily, in the handler).
    """
    with Session(state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_context(state: StateDep) -> ScreeningContext:
    """The current rules and lists; 503 when they are not loaded (never a verdict without rules)."""
    context = state.context
    if context is None:
        raise RulesUnavailable(f"Rules or lists are not loaded: {state.context_error or 'unknown reason'}")
    return context


ContextDep = Annotated[ScreeningContext, Depends(get_context)]


async def get_request_id(request: Request) -> str:
    """The id the request-id middleware gave this request."""
    return request_id_of(request)


RequestIdDep = Annotated[str, Depends(get_request_id)]


async def authenticate(
    request: Request,
    state: StateDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Caller:
    """The caller named by the Bearer token or X-API-Key header; 401 if missing or unknown. (The gate,
    service/api/gate.py, has already checked it from the headers before the body was read.)"""
    checked = getattr(request.state, "caller", None)
    if isinstance(checked, Caller):
        return checked
    secret = bearer.credentials if bearer else api_key
    if not secret:
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.",
                           headers={"WWW-Authenticate": "Bearer"})
    key_hash = hash_secret(secret)
    caller = state.cached_caller(key_hash)
    if caller is None:
        caller = await run_in_threadpool(_lookup, state, secret)
        if caller is None:
            raise Unauthorized("The API key is not known.", headers={"WWW-Authenticate": "Bearer"})
        state.remember_caller(key_hash, caller)
    return caller


def key_lookup(state: ServiceState) -> Callable[[str], Caller | None]:
    """The gate's look-up of a secret in this service's database."""
    return lambda secret: _lookup(state, secret)


def _lookup(state: ServiceState, secret: str) -> Caller | None:
    with Session(state.engine) as session:
        return find_caller(session, secret)


CallerDep = Annotated[Caller, Depends(authenticate)]


def require(role: Role) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency that lets through callers whose role includes `role`; 403 otherwise."""

    async def check(caller: CallerDep) -> Caller:
        if not caller.role.includes(role):
            raise Forbidden(f"This needs the {role.value} role; the key has the {caller.role.value} role.")
        return caller

    return check


ScreenerDep = Annotated[Caller, Depends(require(Role.SCREENER))]
ReviewerDep = Annotated[Caller, Depends(require(Role.REVIEWER))]
AdminDep = Annotated[Caller, Depends(require(Role.ADMIN))]


class IdempotentRequest:
    """The Idempotency-Key of a POST and the hash of what was sent with it (method, path and body)."""

    def __init__(self, key: str, request_hash: str) -> None:
        self.key = key
        self.request_hash = request_hash


IDEMPOTENCY_KEY_LENGTH = 255  # characters at most


async def get_idempotency(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", min_length=1, max_length=IDEMPOTENCY_KEY_LENGTH,
               description="Retry-safe key: the same key with the same body returns the stored answer."),
    ] = None,
) -> IdempotentRequest | None:
    """None without the header; otherwise the key and a hash of method, path (with any query) and body."""
    if idempotency_key is None:
        return None
    query = f"?{request.url.query}" if request.url.query else ""  # e.g. ?retrospective=true changes the answer
    digest = hashlib.sha256(f"{request.method} {request.url.path}{query}\n".encode())
    try:
        digest.update(await request.body())
    except RuntimeError:  # a multipart body was streamed into a form already: hash its parts instead
        await _digest_form(request, digest)
    return IdempotentRequest(idempotency_key, digest.hexdigest())


async def _digest_form(request: Request, digest: Any) -> None:
    """Feed every form field and uploaded file (read in chunks, then rewound) into `digest`."""
    form = await request.form()
    for name, value in form.multi_items():
        digest.update(f"\n{name}\n".encode())
        if isinstance(value, UploadFile):
            digest.update(f"{value.filename}\n".encode())
            while chunk := await value.read(1 << 20):
                digest.update(chunk)
            await value.seek(0)
        else:
            digest.update(value.encode())


IdempotencyDep = Annotated[IdempotentRequest | None, Depends(get_idempotency)]


Retrospective = Annotated[bool, Query(
    description="Audit of a past shipment: rules as of its export date, without the review finding for an "
    "export date more than EXPORT_SCREEN_EXPORT_DATE_PAST_DAYS in the past. Recorded on the audit row.",
)]


def in_mode(context: ScreeningContext, retrospective: bool) -> ScreeningContext:
    """The context for one request's mode (a shallow copy; rules and lists are shared)."""
    return dataclasses.replace(context, retrospective=retrospective) if retrospective else context
