"""The route class of every endpoint: refuses text the audit store cannot hold before any handler runs.

A NUL character is valid JSON (`"\\u0000"`) and valid in a URL (`%00`), and pydantic passes it through,
but PostgreSQL cannot store it in a text column: the request would fail at the audit commit with a 503,
while SQLite stores it. No field of a declaration, a decision or a filter has a use for it, so it is a 422
naming the field on both databases, checked here once for the path, the query and any JSON body, for
every route (a test holds every route of the app to this class). Lone surrogates never get this far:
the JSON parser refuses them with a 422 of its own.

A route may also have a direct handler (`with_direct_handler`) for its common request: it runs first and
answers without FastAPI's parameter and dependency solving, which costs about as much as screening a
declaration; when it returns None (anything unusual: another content type, a query, a body that does not
validate), the route's own handler answers, with the usual errors.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from service.engine.errors import shown_value

NUL = "\x00"
_ESCAPED_NUL = b"\\u0000"  # how a NUL appears in a JSON body (a raw NUL byte is not valid JSON)
NUL_MESSAGE = "contains the control character U+0000 (NUL), which no field accepts"

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
DirectHandler = Callable[[Request], Coroutine[Any, Any, Response | None]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def with_direct_handler(direct: DirectHandler) -> Callable[[Endpoint], Endpoint]:
    """Marks an endpoint whose common request `direct` answers by itself (None: the endpoint answers).
    `direct` must answer exactly as the endpoint would, and leave every refusal to it."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.direct_handler = direct  # type: ignore[attr-defined]
        return endpoint

    return mark


def checks_items_itself(endpoint: Endpoint) -> Endpoint:
    """Marks an endpoint whose body is a list of items validated one by one (`screenings:batch`): an item
    with a NUL is refused on its own (`nul_errors`) while the others are screened, so the route does not
    refuse the whole body."""
    endpoint.checks_items_itself = True  # type: ignore[attr-defined]
    return endpoint


def nul_errors(value: Any) -> list[dict[str, Any]]:
    """{field, value, message} for each string in `value` (parsed JSON) that holds a NUL."""
    return [{"field": ".".join(str(part) for part in path), "value": shown_value(text), "message": NUL_MESSAGE}
            for path, text in _strings_with_nul(value, ())]


class CheckedRoute(APIRoute):
    """An APIRoute whose handler first refuses NUL characters in the path, the query and a JSON body."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        items_checked = getattr(self.endpoint, "checks_items_itself", False)
        direct: DirectHandler | None = getattr(self.endpoint, "direct_handler", None)

        async def checked(request: Request) -> Response:
            if direct is not None:
                answer = await direct(request)
                if answer is not None:
                    return answer
            errors = [*_in_parameters(request), *([] if items_checked else await _in_json_body(request))]
            if errors:
                raise RequestValidationError(errors)
            return await handler(request)

        return checked


def may_hold_nul(body: bytes) -> bool:
    """Whether a JSON body may hold a NUL (then the route's checks look at it)."""
    return _ESCAPED_NUL in body


def _in_parameters(request: Request) -> Iterator[dict[str, Any]]:
    for where, values in (("path", request.path_params.items()), ("query", request.query_params.multi_items())):
        for name, value in values:
            if isinstance(value, str) and NUL in value:
                yield _error((where, name), value)


async def _in_json_body(request: Request) -> list[dict[str, Any]]:
    """The JSON body's fields holding a NUL. Only a JSON body is read here (an upload streams on), and it
    is parsed only when its bytes hold an escaped NUL: the usual request costs one search of its bytes."""
    if "json" not in request.headers.get("content-type", ""):
        return []
    body = await request.body()  # (kept by the request: the handler reads the same bytes)
    if _ESCAPED_NUL not in body:  # (a JSON escape's `u` is always lower case; 0000 has no letters)
        return []
    try:
        parsed = await request.json()
    except ValueError:
        return []  # not JSON: the handler's own parsing says so
    return [_error(("body", *path), value) for path, value in _strings_with_nul(parsed, ())]


def _strings_with_nul(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        if NUL in value:
            yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            if NUL in key:
                yield (*path, key), key
            yield from _strings_with_nul(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings_with_nul(inner, (*path, index))


def _error(location: tuple[str | int, ...], value: str) -> dict[str, Any]:
    return {"loc": location, "msg": NUL_MESSAGE, "input": value, "type": "value_error"}
