"""The client's exceptions: an error answer of the service, and a webhook that does not prove its origin."""

from __future__ import annotations

from typing import Any

import httpx


class ApiProblem(Exception):
    """An error answer from the service (its problem+json body, RFC 9457); switch on `code`."""

    def __init__(self, status: int, problem: dict[str, Any], headers: httpx.Headers | None = None) -> None:
        self.status = status
        self.code = str(problem.get("code", "unknown"))
        self.detail = str(problem.get("detail", ""))
        self.errors: list[dict[str, Any]] = list(problem.get("errors") or [])
        self.request_id = problem.get("request_id")
        self.retry_after = (headers or httpx.Headers()).get("Retry-After")
        super().__init__(f"{status} {self.code}: {self.detail}")

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiProblem:
        """The problem an error answer carries (a body that is not problem+json is kept as `detail`)."""
        try:
            problem = response.json()
        except ValueError:
            problem = {"code": "unexpected_answer", "detail": response.text[:200]}
        return cls(response.status_code, problem if isinstance(problem, dict) else {}, response.headers)


class InvalidSignature(Exception):
    """A webhook request whose signature does not prove it came from the service (or could not be read)."""
