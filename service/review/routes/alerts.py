"""Alerts: new hits found by screening again after a list or rules change; a reviewer closes each one."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from service.api.deps import RequestIdDep, SessionDep, SettingsDep, StateDep
from service.api.routing import CheckedRoute
from service.api.state import ServiceState
from service.review.auth import PageError, SignedInDep, check_csrf, require_role
from service.review.decide import read_choice, reasons_for, refusal_page, unconfirmed_block_release
from service.review.filters import PAGE_SIZE, UUID_PATTERN
from service.review.pages import render
from service.store.alerts import AlertFilter, alert_decisions, get_alert, list_alerts
from service.store.keys import Role
from service.store.review_sessions import SignedIn
from service.store.workflow_tables import AlertRow
from service.workflow.deciding import Refusal, alert_refusal, close_alert

router = APIRouter(route_class=CheckedRoute, prefix="/review", include_in_schema=False)
AlertId = Annotated[str, Path(max_length=36)]
STATUSES = ("open", "closed")


@router.get("/alerts")
def alerts_page(request: Request, signed: SignedInDep, session: SessionDep) -> Response:
    """Alerts, newest first (open ones by default), as the API lists them to a reviewer."""
    require_role(signed, Role.REVIEWER, "Reading alerts")
    status = request.query_params.get("status", "open")
    after = request.query_params.get("after")
    errors = []
    if status not in (*STATUSES, "all"):
        errors.append(("status", status, "must be open, closed or all"))
    if after is not None and not UUID_PATTERN.match(after):
        errors.append(("after", after, "is not a page position this service gave"))
    rows = [] if errors else list_alerts(session, AlertFilter(status=None if status == "all" else status),
                                         PAGE_SIZE + 1, after)
    page, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    next_page = f"?{urlencode({'status': status, 'after': page[-1].id})}" if more else None
    return render(request, "alerts.html", status=400 if errors else 200, errors=errors, alerts=page,
                  shown=status, next_page=next_page)


def _alert(session: Session, alert_id: str) -> AlertRow:
    row = get_alert(session, alert_id)
    if row is None:
        raise PageError(404, "Not found", f"No alert with id {alert_id!r}.")
    return row


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: AlertId, signed: SignedInDep, session: SessionDep) -> Response:
    """One alert, its decision if closed, and the form to close it."""
    require_role(signed, Role.REVIEWER, "Reading alerts")
    row = _alert(session, alert_id)
    return render(request, "alert.html", alert=row, decisions=alert_decisions(session, alert_id),
                  reasons=reasons_for(), form_error=None)


def _alert_form(request: Request, session: Session, row: AlertRow, problem: str | None) -> Response:
    """The alert page again, with why the form was not accepted (422, nothing recorded)."""
    return render(request, "alert.html", status=422, alert=row, decisions=alert_decisions(session, row.id),
                  reasons=reasons_for(), form_error=problem)


@router.post("/alerts/{alert_id}/decisions")
async def decide_alert_page(request: Request, alert_id: AlertId, signed: SignedInDep, state: StateDep,
                            settings: SettingsDep, request_id: RequestIdDep) -> Response:
    """Close the alert with a decision; releasing a blocking alert first shows a confirmation step."""
    form = await request.form()
    check_csrf(form, signed.csrf_token)
    require_role(signed, Role.REVIEWER, "Deciding")
    return await run_in_threadpool(_decide, request, form, alert_id, signed, state,
                                   settings.clearance_expiry_days, request_id)


def _decide(request: Request, form: FormData, alert_id: str, signed: SignedIn, state: ServiceState,
            expiry_days: int, request_id: str) -> Response:
    with Session(state.engine, expire_on_commit=False) as session:
        row = _alert(session, alert_id)
        choice, problem = read_choice(form)
        if choice is None:
            return _alert_form(request, session, row, problem)
        refused = alert_refusal(row, signed.caller.role, choice.decision, choice.reason_code)
        if refused is not None:
            if refused.refusal is not Refusal.REASON_MISFIT:
                raise refusal_page(refused)
            return _alert_form(request, session, row, refused.message)
        if unconfirmed_block_release(row.action, choice, form):
            return render(request, "confirm.html", screening=None, alert=row, choice=choice, action=request.url.path)
        close_alert(session, row, choice, signed.caller, request_id, expiry_days)
        with state.writing():
            session.commit()
        state.standing.forget()  # this process's next screening reads what the decision may have added
    return RedirectResponse(f"/review/alerts/{alert_id}#history", status_code=303)
