"""One error base class, one handler, one wire shape: problem+json (RFC 9457) for every error.

Every error response carries `type` (a stable URN), `title`, `status`, `detail`, `code` (stable, for
programs), `instance` (the request path), `request_id` and `errors` (one entry per invalid field).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import Scope, Send

from service.engine.errors import shown_value

logger = logging.getLogger("service.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
CLIENT_CLOSED_REQUEST = 499  # (nginx's status for a request its client gave up on: not the server's failure)
TYPE_PREFIX = "urn:export-screen:problem:"


class FieldError(BaseModel):
    """One invalid field: its dotted path, the value given (when simple) and what is wrong."""

    field: str
    value: Any = None
    message: str


class Problem(BaseModel):
    """The body of every error response."""

    type: str = Field(description="Stable URN naming the kind of problem, e.g. urn:export-screen:problem:not_found.")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable code; the last part of `type`.")
    instance: str = Field(description="The request path.")
    request_id: str
    errors: list[FieldError] = Field(default_factory=list)


class ApiError(Exception):
    """Base of every error the API answers with; subclasses fix the status, code and title."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal error"
    retry_after: ClassVar[int | None] = None  # seconds a client should wait before trying again, if it may

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


class MalformedRequest(ApiError):
    status, code, title = 400, "malformed_request", "The request body could not be read"


class ClientError(ApiError):
    """Any other refusal the framework makes of a request (its status is set per instance)."""

    status, code, title = 400, "client_error", "The request was refused"


class Unauthorized(ApiError):
    status, code, title = 401, "unauthorized", "Missing or unknown API key"


class Forbidden(ApiError):
    status, code, title = 403, "forbidden", "The API key's role does not allow this"


class NotFound(ApiError):
    status, code, title = 404, "not_found", "Not found"


class MethodNotAllowed(ApiError):
    status, code, title = 405, "method_not_allowed", "Method not allowed"


class IdempotencyConflict(ApiError):
    status, code, title = 409, "idempotency_conflict", "Idempotency-Key reused with a different request"


class DecisionNotAllowed(ApiError):
    status, code, title = 409, "decision_not_allowed", "This screening cannot take that decision"


class RequestTooLarge(ApiError):
    status, code, title = 413, "request_too_large", "Request body too large"


class BatchTooLarge(ApiError):
    status, code, title = 413, "batch_too_large", "Too many declarations in one batch"


class InvalidRequest(ApiError):
    status, code, title = 422, "invalid_request", "The request is invalid"


class RulesInvalid(ApiError):
    status, code, title = 422, "rules_invalid", "The rules could not be loaded; the previous rulebook stays in force"


class RulesUnavailable(ApiError):
    status, code, title = 503, "rules_unavailable", (
        "The rules or lists are not the approved ones or could not be loaded; nothing is screened"
    )
    retry_after = 30  # an operator has to act: not worth hammering


class NotReady(ApiError):
    status, code, title = 503, "not_ready", "The service cannot screen: rules, lists or database not ready"
    retry_after = 10


class StoreUnavailable(ApiError):
    status, code, title = 503, "store_unavailable", "The audit record could not be written; nothing was screened"
    retry_after = 2  # usually a moment's contention or a database restart


def request_id_of(request: Request) -> str:
    """The request id the middleware assigned (or '-' if the middleware did not run)."""
    return str(getattr(request.state, "request_id", "-"))


def problem_body(error: ApiError, instance: str, request_id: str) -> bytes:
    """The problem+json bytes for an error."""
    problem = Problem(
        type=TYPE_PREFIX + error.code, title=error.title, status=error.status, detail=error.detail,
        code=error.code, instance=instance, request_id=request_id,
        errors=[FieldError.model_validate(entry) for entry in error.errors],
    )
    return problem.model_dump_json().encode()


def problem_response(error: ApiError, request: Request) -> Response:
    """The one way an error becomes a response."""
    body = problem_body(error, request.url.path, request_id_of(request))
    return Response(body, status_code=error.status, media_type=PROBLEM_MEDIA_TYPE, headers=problem_headers(error))


def problem_headers(error: ApiError) -> dict[str, str]:
    """The error's own headers, and Retry-After where the error says when to try again."""
    if error.retry_after is not None and "Retry-After" not in error.headers:
        return {**error.headers, "Retry-After": str(error.retry_after)}
    return error.headers


async def send_problem(scope: Scope, send: Send, error: ApiError) -> None:
    """Answer with the error's problem+json straight from ASGI middleware, before (or without) reading the
    body; the connection is closed after it, since an unread body would be taken for the next request."""
    request_id = str(scope.get("state", {}).get("request_id", "-"))
    body = problem_body(error, scope["path"], request_id)
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close"),
               *[(name.lower().encode(), value.encode()) for name, value in problem_headers(error).items()
                 if name.lower() != "connection"]]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def as_api_error(exc: Exception) -> ApiError:
    """Map framework and database exceptions onto the API's error classes."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, RequestValidationError):
        errors = validation_errors(exc.errors())
        if any(error.get("type") == "json_invalid" for error in exc.errors()):  # not JSON at all: nothing to name
            return MalformedRequest("The body is not valid JSON (UTF-8); see errors for where reading stopped.", errors)
        return InvalidRequest("The request is invalid; see errors for each field.", errors)
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return NotFound(str(exc.detail))
        if exc.status_code == 405:
            return MethodNotAllowed(str(exc.detail))
        if exc.status_code == 400:  # a form or multipart body the framework could not parse
            return MalformedRequest(str(exc.detail))
        generic = ClientError(str(exc.detail)) if 400 <= exc.status_code < 500 else ApiError(str(exc.detail))
        generic.status = exc.status_code  # type: ignore[misc]
        return generic
    if isinstance(exc, SQLAlchemyError):
        return StoreUnavailable("The database did not answer; retry later.")
    return ApiError("An unexpected error occurred; the request id identifies it in the logs.")


def validation_errors(raw: Any) -> list[dict[str, Any]]:
    """FastAPI's error list as {field, value, message}; the 'body.' prefix is dropped from field paths."""
    entries = []
    for error in raw:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] == "body":
            location = location[1:]
        value = shown_value(error.get("input"))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        field = ".".join(location) or "(body)"
        entries.append({"field": field, "value": value, "message": message})
    return entries


async def handle_error(request: Request, exc: Exception) -> Response:
    """The single exception handler; server-side failures are logged under the request id."""
    error = as_api_error(exc)
    if error.status >= 500:
        where = f"{request.method} {request.url.path} request_id={request_id_of(request)}"
        if isinstance(exc, ApiError | SQLAlchemyError):
            logger.error("%s answered %d %s: %s", where, error.status, error.code, type(exc).__name__)
        else:
            logger.error("%s failed unexpectedly", where, exc_info=exc)
    return problem_response(error, request)


async def handle_disconnect(request: Request, exc: Exception) -> Response:
    """The client closed the connection before its whole request arrived (it timed out, or went away).
    Nothing was screened or recorded, and nobody is left to read an answer: a warning without a
    traceback, and 499 in the access log and the metrics, so a client's time-outs are not counted as
    the server's failures."""
    logger.warning("%s %s request_id=%s: the client closed the connection before its request was read",
                   request.method, request.url.path, request_id_of(request))
    return Response(status_code=CLIENT_CLOSED_REQUEST)


def install_error_handler(app: FastAPI) -> None:
    """Route every exception class the app can raise to `handle_error` (a client gone before its request
    was read to `handle_disconnect`)."""
    for kind in (ApiError, RequestValidationError, StarletteHTTPException, SQLAlchemyError, Exception):
        app.add_exception_handler(kind, handle_error)
    app.add_exception_handler(ClientDisconnect, handle_disconnect)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, all with the Problem schema."""
    return {
        status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": "Problem (RFC 9457)"}
        for status in statuses
    }
