"""Logging: one line per event, JSON when the output is read by a machine, readable text on a terminal.

Every line says when, how severe, which logger, and, inside a request, the request id and the id of the
API key (never the key itself). The API writes one access line per request (`service.access`: method,
route template, status, duration, request id, key id); uvicorn's own access log, which prints the raw URL
with its query string, is switched off by `serve`. Configured once per process by `configure_logging`
(`serve` does it for uvicorn's workers too through `uvicorn_log_config`); nothing is configured on import.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["auto", "json", "text"]
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
key_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("key_id", default=None)
# the id a client sent in X-Request-ID, kept apart from the service's own (stored on the screenings it asks for)
client_request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_request_id", default=None)
# attributes every LogRecord has: anything else on a record was passed in `extra` and is logged as a field
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s%(context)s"


class RequestContext(logging.Filter):
    """Puts the current request's id and key id on every record logged while the request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "key_id", None) is None:
            record.key_id = key_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the request context and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and value is not None and not name.startswith("_") and name != "context":
                entry[name] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time level logger: message [request_id=... key_id=... status=...]` for people at a terminal."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        fields = {name: value for name, value in vars(record).items()
                  if name not in _STANDARD and value is not None and not name.startswith("_") and name != "context"}
        record.context = (" [" + " ".join(f"{name}={value}" for name, value in fields.items()) + "]") if fields else ""
        return super().format(record)


def wants_json(log_format: LogFormat, stream: Any = None) -> bool:
    """JSON unless asked for text, or, on "auto", unless the output is a terminal."""
    if log_format != "auto":
        return log_format == "json"
    target = stream if stream is not None else sys.stderr
    return not (hasattr(target, "isatty") and target.isatty())


def configure_logging(log_format: LogFormat = "auto", level: str = "INFO", stream: Any = None) -> None:
    """Route every logger (the service's, uvicorn's, SQLAlchemy's warnings) to one handler on stderr."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if wants_json(log_format, stream) else TextFormatter())
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def uvicorn_log_config(log_format: LogFormat, level: str, access: bool = True) -> dict[str, Any]:
    """uvicorn's `log_config` with this module's handler, so its worker processes log the same way
    (`access=False`: no access lines)."""
    formatter = "service.logs.JsonFormatter" if wants_json(log_format) else "service.logs.TextFormatter"
    return {
        "version": 1, "disable_existing_loggers": False,
        "filters": {"context": {"()": "service.logs.RequestContext"}},
        "formatters": {"line": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["context"],
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            **{name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
            "service.access": {"level": "INFO" if access else "WARNING"},
        },
    }
