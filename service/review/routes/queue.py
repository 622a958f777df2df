"""The queue: undecided held screenings, riskiest or newest first, with filters, paging and counts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from service.api.deps import SessionDep
from service.api.routing import CheckedRoute
from service.engine.screen import ScreeningContext
from service.review.auth import SignedInDep
from service.review.filters import PAGE_SIZE, encode_position, read_queue_query
from service.review.pages import render
from service.store.alerts import AlertFilter, list_alerts
from service.store.keys import Role
from service.store.review_queue import (
    Position,
    QueueRow,
    findings_of,
    queue_counts,
    queue_page,
)

router = APIRouter(route_class=CheckedRoute, prefix="/review", include_in_schema=False)
SEVERITY = {"block": 0, "review": 1, "info": 2}


@router.get("")
def review_home() -> Response:
    """The queue is where the work starts."""
    return RedirectResponse("/review/queue", status_code=303)


def leading_finding(findings: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most severe finding (the first of them): the line's reason."""
    return min(findings, key=lambda finding: SEVERITY.get(str(finding.get("action")), 3), default=None)


@router.get("/queue")
def queue(request: Request, signed: SignedInDep, session: SessionDep) -> Response:
    """One page of the queue; a bad filter is a 400 page naming the field and the value."""
    asked = read_queue_query(request.query_params)
    rows: list[QueueRow] = [] if asked.errors else queue_page(session, asked.where, asked.order, PAGE_SIZE + 1,
                                                              asked.after)
    page, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    findings = findings_of(session, [row.id for row in page])
    kept = {name: value for name, value in asked.given.items() if name != "after"}
    next_page = (f"?{urlencode({**kept, 'after': encode_position(Position(page[-1].risk_score, page[-1].id))})}"
                 if more else None)
    alerts = (list_alerts(session, AlertFilter(status="open"), 5, None)
              if signed.caller.role.includes(Role.REVIEWER) else [])
    return render(
        request, "queue.html", status=400 if asked.errors else 200, asked=asked, rows=page,
        leading={row.id: leading_finding(findings.get(row.id, [])) for row in page}, next_page=next_page,
        first_page=f"?{urlencode(kept)}" if asked.after else None, counts=queue_counts(session),
        choices=filter_choices(request.app.state.service.context), alerts=alerts,
    )


def filter_choices(context: ScreeningContext | None) -> dict[str, list[str]]:
    """Suggestions for the rule and list filters: the loaded rulebook's rule ids and the loaded lists (the
    fields take any value, so rules and lists no longer loaded can still be asked for)."""
    if context is None:
        return {"rules": [], "lists": []}
    lists = sorted(stamp.name for stamp in context.parties.stamps()) if context.parties is not None else []
    rules = sorted({rule.id for rule in context.rulebook.rules} | {f"DENIED-PARTY-{name.upper()}" for name in lists})
    return {"rules": rules, "lists": lists}
