"""What each API call sends and how its answer is read, shared by the sync and the async client (which
only differ in how they send): one place per endpoint, so the two cannot drift apart."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from export_screen_client.models import (
    BatchItem,
    BatchJob,
    Decision,
    Delivery,
    NameMatch,
    NewWebhook,
    Readiness,
    Screening,
    ScreeningRecord,
    ScreeningSummary,
    Webhook,
)

T = TypeVar("T")
Progress = Callable[[int, int], None]  # (bytes sent, bytes in all)
USER_AGENT = "export-screen-client/1"


@dataclass
class Call(Generic[T]):
    """One request and the reading of its answer. A POST gets an Idempotency-Key (generated unless
    given) once, when the call is made, so every retry of it sends the same key."""

    method: str
    path: str
    read: Callable[[httpx.Response], T]
    json: Any = None
    params: dict[str, Any] | None = None
    upload: Callable[[], dict[str, Any]] | None = None  # makes the multipart files anew for each attempt
    form: dict[str, str] | None = None
    idempotency_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method == "POST":
            self.headers["Idempotency-Key"] = self.idempotency_key or str(uuid.uuid4())

    def request_arguments(self, auth: dict[str, str]) -> dict[str, Any]:
        """The keyword arguments of httpx's `request` for one attempt, with the key's headers."""
        arguments: dict[str, Any] = {"headers": {**auth, **self.headers}}
        if self.json is not None:
            arguments["json"] = self.json
        if self.params:
            arguments["params"] = {name: value for name, value in self.params.items() if value is not None}
        if self.upload is not None:
            arguments["files"] = self.upload()
            arguments["data"] = self.form or {}
        return arguments


def model(kind: type[Any]) -> Callable[[httpx.Response], Any]:
    """Reads an answer's JSON as `kind` (a model, or a list of them)."""
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    return lambda response: adapter.validate_json(response.content)


def as_json(value: dict[str, Any] | BaseModel) -> Any:
    """A declaration given as a dict, or as any pydantic model (exclude_none keeps optional fields out)."""
    return value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else value


def _flag(value: bool) -> str | None:
    return "true" if value else None


def _time(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def screen(declaration: dict[str, Any] | BaseModel, idempotency_key: str | None,
           retrospective: bool) -> Call[Screening]:
    return Call("POST", "/v1/screenings", model(Screening), json=as_json(declaration),
                params={"retrospective": _flag(retrospective)}, idempotency_key=idempotency_key)


def screen_many(declarations: list[dict[str, Any] | BaseModel], idempotency_key: str | None) -> Call[list[BatchItem]]:
    read = model(list[BatchItem])
    return Call("POST", "/v1/screenings:batch", lambda response: read(_results(response)),
                json=[as_json(d) for d in declarations], idempotency_key=idempotency_key)


def _results(response: httpx.Response) -> httpx.Response:
    """The `results` array of a batch answer, as a response of its own for `model`."""
    return httpx.Response(200, json=response.json()["results"])


def match_name(name: str, country: str | None, kind: str | None,
               idempotency_key: str | None) -> Call[NameMatch]:
    body = {key: value for key, value in {"name": name, "country": country, "kind": kind}.items() if value}
    return Call("POST", "/v1/parties:match", model(NameMatch), json=body, idempotency_key=idempotency_key)


def screening(screening_id: str) -> Call[ScreeningRecord]:
    return Call("GET", f"/v1/screenings/{screening_id}", model(ScreeningRecord))


def screenings_page(filters: dict[str, Any], limit: int,
                    cursor: str | None) -> Call[tuple[list[ScreeningSummary], str | None]]:
    read = model(list[ScreeningSummary])
    params = {**{name: _time(value) for name, value in filters.items()}, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/screenings", lambda response: _page(response, read), params=params)


def _page(response: httpx.Response, read: Callable[[httpx.Response], list[T]]) -> tuple[list[T], str | None]:
    body = response.json()
    return read(httpx.Response(200, json=body["items"])), body.get("next_cursor")


def decide(screening_id: str, decision: str, reason_code: str, note: str,
           idempotency_key: str | None) -> Call[Decision]:
    body = {"decision": decision, "reason_code": reason_code, "note": note}
    return Call("POST", f"/v1/screenings/{screening_id}/decisions", model(Decision), json=body,
                idempotency_key=idempotency_key)


def decisions(screening_id: str) -> Call[list[Decision]]:
    return Call("GET", f"/v1/screenings/{screening_id}/decisions", model(list[Decision]))


def submit_batch(path: Path, *, jsonl: bool, encoding: str | None, mapping: Path | None, retrospective: bool,
                 on_upload: Progress | None, idempotency_key: str | None) -> Call[BatchJob]:
    def upload() -> dict[str, Any]:
        files: dict[str, Any] = {"file": (path.name, _Counted(path, on_upload), "text/csv")}
        if mapping is not None:
            files["mapping"] = (mapping.name, mapping.read_bytes(), "application/yaml")
        return files

    form = {name: value for name, value in {"jsonl": _flag(jsonl), "encoding": encoding,
                                            "retrospective": _flag(retrospective)}.items() if value is not None}
    return Call("POST", "/v1/batches", model(BatchJob), upload=upload, form=form, idempotency_key=idempotency_key)


class _Counted:
    """A file read for upload that reports how much of it was sent."""

    def __init__(self, path: Path, on_upload: Progress | None) -> None:
        self._file: IO[bytes] = path.open("rb")
        self._total = path.stat().st_size
        self._sent = 0
        self._on_upload = on_upload

    def fileno(self) -> int:
        """(So httpx knows the length and sends a Content-Length.)"""
        return self._file.fileno()

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        self._sent += len(chunk)
        if self._on_upload is not None and (chunk or self._sent == self._total):
            self._on_upload(self._sent, self._total)
        if not chunk:
            self._file.close()
        return chunk


def batch(job_id: str) -> Call[BatchJob]:
    return Call("GET", f"/v1/batches/{job_id}", model(BatchJob))


def batches_page(status: str | None, limit: int, cursor: str | None) -> Call[tuple[list[BatchJob], str | None]]:
    read = model(list[BatchJob])
    return Call("GET", "/v1/batches", lambda response: _page(response, read),
                params={"status": status, "limit": limit, "cursor": cursor})


def ready() -> Call[Readiness]:
    return Call("GET", "/readyz", model(Readiness))


def create_webhook(url: str, events: list[str], description: str | None,
                   idempotency_key: str | None) -> Call[NewWebhook]:
    body = {"url": url, "events": events, **({"description": description} if description else {})}
    return Call("POST", "/v1/webhooks", model(NewWebhook), json=body, idempotency_key=idempotency_key)


def webhooks() -> Call[list[Webhook]]:
    return Call("GET", "/v1/webhooks", model(list[Webhook]))


def rotate_webhook_secret(webhook_id: str, keep_previous_seconds: int) -> Call[NewWebhook]:
    return Call("POST", f"/v1/webhooks/{webhook_id}:rotate-secret", model(NewWebhook),
                json={"keep_previous_seconds": keep_previous_seconds})


def disable_webhook(webhook_id: str) -> Call[Webhook]:
    return Call("POST", f"/v1/webhooks/{webhook_id}:disable", model(Webhook))


def deliveries(webhook_id: str, status: str | None, limit: int) -> Call[list[Delivery]]:
    return Call("GET", f"/v1/webhooks/{webhook_id}/deliveries", model(list[Delivery]),
                params={"status": status, "limit": limit})
