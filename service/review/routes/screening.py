"""One screening: the declaration, every finding with its evidence, the history, and the decision form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from service.api.deps import RequestIdDep, SessionDep, SettingsDep, StateDep
from service.api.routing import CheckedRoute
from service.api.state import ServiceState
from service.engine.checks.clearances import party_key
from service.review.auth import PageError, SignedInDep, check_csrf, require_role
from service.review.decide import read_choice, reasons_for, refusal_page, unconfirmed_block_release
from service.review.pages import render
from service.review.views import hubs_of, party_view, route_of, source_links
from service.store.clearances import clearances_for
from service.store.decisions import decisions_of
from service.store.keys import Role
from service.store.review_queue import earlier_decisions
from service.store.review_sessions import SignedIn
from service.store.screening_parties import named_parties
from service.store.screenings import get_screening
from service.store.tables import Screening
from service.workflow.deciding import Refusal, Refused, decide_screening, screening_refusal

router = APIRouter(route_class=CheckedRoute, prefix="/review", include_in_schema=False)
ScreeningId = Annotated[str, Path(max_length=36)]


def _screening(session: Session, screening_id: str) -> Screening:
    row = get_screening(session, screening_id)
    if row is None:
        raise PageError(404, "Not found", f"No screening with id {screening_id!r}.")
    return row


def screening_context(request: Request, session: Session, row: Screening) -> dict[str, Any]:
    """Everything the screening page shows about a stored screening."""
    context = request.app.state.service.context
    entries = context.entries if context is not None else {}
    names = [str(party["name"]) for _role, party in named_parties(row.declaration)]
    findings = [{"finding": finding, "party": party_view(finding, row.declaration, entries),
                 "links": source_links(str(finding.get("source", "")))} for finding in row.findings]
    return {
        "screening": row, "declaration": row.declaration, "findings": findings,
        "route": route_of(row.declaration, hubs_of(context.rulebook if context is not None else None)),
        "parties": named_parties(row.declaration), "decisions": decisions_of(session, [row.id])[row.id],
        "earlier": earlier_decisions(session, names, row.id),
        "clearances": clearances_for(session, {party_key(name) for name in names}),
        "rules_loaded": context is not None, "reasons": reasons_for(),
    }


@router.get("/screenings/{screening_id}")
def screening_page(request: Request, screening_id: ScreeningId, signed: SignedInDep, session: SessionDep,
                   ) -> Response:
    """The screening page; a reviewer also gets the decision form."""
    row = _screening(session, screening_id)
    return render(request, "screening.html", decided=request.query_params.get("decided"), form_error=None,
                  **screening_context(request, session, row))


@router.post("/screenings/{screening_id}/decisions")
async def decide(request: Request, screening_id: ScreeningId, signed: SignedInDep, state: StateDep,
                 settings: SettingsDep, request_id: RequestIdDep) -> Response:
    """Record a release or hold; releasing a block first shows a confirmation step."""
    form = await request.form()
    check_csrf(form, signed.csrf_token)
    require_role(signed, Role.REVIEWER, "Deciding")
    return await run_in_threadpool(_decide, request, form, screening_id, signed, state,
                                   settings.clearance_expiry_days, request_id)


def _decide(request: Request, form: FormData, screening_id: str, signed: SignedIn, state: ServiceState,
            expiry_days: int, request_id: str) -> Response:
    with Session(state.engine, expire_on_commit=False) as session:
        row = _screening(session, screening_id)
        choice, problem = read_choice(form)
        if choice is None:
            return _form_again(request, session, row, problem)
        refused = screening_refusal(row, signed.caller.role, choice.decision, choice.reason_code)
        if refused is not None:
            return _refused(request, session, row, refused)
        if unconfirmed_block_release(row.verdict, choice, form):
            return render(request, "confirm.html", screening=row, choice=choice, action=request.url.path)
        decided = decide_screening(session, row, choice, signed.caller, request_id, expiry_days)
        with state.writing():
            session.commit()
        state.standing.forget()  # this process's next screening reads what the decision may have added
    return RedirectResponse(f"/review/screenings/{screening_id}?decided={decided.id}#history", status_code=303)


def _form_again(request: Request, session: Session, row: Screening, problem: str | None) -> Response:
    """The page again with why the form was not accepted (422; nothing recorded)."""
    return render(request, "screening.html", status=422, decided=None, form_error=problem,
                  **screening_context(request, session, row))


def _refused(request: Request, session: Session, row: Screening, refused: Refused) -> Response:
    """A reason that does not fit is the form again; anything else a refusal page."""
    if refused.refusal is Refusal.REASON_MISFIT:
        return _form_again(request, session, row, refused.message)
    raise refusal_page(refused)
