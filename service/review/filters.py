"""The queue's filters, read from the query string: every bad value is named with its field, never a 500."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from starlette.datastructures import QueryParams

from service.store.review_queue import Order, Position, QueueFilter

UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")  # rule ids and list names
VERDICTS = ("review", "block")
PAGE_SIZE = 50


@dataclass(frozen=True)
class FilterError:
    """One bad query value: which field, what was given, what is wrong."""

    field: str
    value: str
    message: str


@dataclass
class QueueQuery:
    """The queue asked for: filters, order, where the page starts, and the errors found reading them."""

    where: QueueFilter = field(default_factory=QueueFilter)
    order: Order = Order.RISK
    after: Position | None = None
    errors: list[FilterError] = field(default_factory=list)
    given: dict[str, str] = field(default_factory=dict)  # the values as typed, to refill the form


def encode_position(position: Position) -> str:
    """The `after` token of the next page (the last row's risk score and id)."""
    return base64.urlsafe_b64encode(f"{position.risk_score}:{position.id}".encode()).decode().rstrip("=")


def _decode_position(token: str) -> Position | None:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    score, _, row_id = text.partition(":")
    if not score.isdigit() or not UUID_PATTERN.match(row_id):
        return None
    return Position(int(score), row_id)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def read_queue_query(params: QueryParams) -> QueueQuery:
    """The queue query of a request; values that cannot be read are left out and reported."""
    query = QueueQuery(given={name: value for name, value in params.items() if value})
    values: dict[str, object] = {}
    given = query.given

    def bad(name: str, message: str) -> None:
        query.errors.append(FilterError(name, given[name], message))

    if "verdict" in given:
        if given["verdict"] in VERDICTS:
            values["verdict"] = given["verdict"]
        else:
            bad("verdict", "must be review or block")
    for name, target in (("rule", "rule"), ("list", "list_name")):
        if name in given:
            if _NAME.match(given[name]):
                values[target] = given[name]
            else:
                bad(name, "must be up to 80 letters, digits, dots, dashes or colons")
    if "country" in given:
        if _COUNTRY.match(given["country"].upper()):
            values["country"] = given["country"].upper()
        else:
            bad("country", "must be a two-letter ISO country code, e.g. TR")
    for name, shift in (("from", 0), ("to", 1)):  # `to` includes its whole day
        if name in given:
            day = _day(given[name])
            if day is None:
                bad(name, "must be a date as YYYY-MM-DD")
            else:
                values["since" if name == "from" else "until"] = datetime.combine(day + timedelta(days=shift),
                                                                                  time(), UTC)
    if "reference" in given:
        if len(given["reference"]) <= 200:
            values["reference"] = given["reference"].strip()
        else:
            bad("reference", "must be at most 200 characters")
    if "order" in given:
        if given["order"] in (Order.RISK.value, Order.NEWEST.value):
            query.order = Order(given["order"])
        else:
            bad("order", "must be risk or newest")
    if "after" in given:
        query.after = _decode_position(given["after"])
        if query.after is None:
            bad("after", "is not a page position this service gave; start again from the first page")
    query.where = QueueFilter(**values)  # type: ignore[arg-type]
    return query
