"""screen(declaration, context) -> Verdict: the sum of every check's findings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from service.engine.checks import coverage, flags, goods, parties, routes
from service.engine.checks.coverage import ListAge
from service.engine.checks.parties import PartyScreener
from service.engine.checks.text import fill, finding, iso
from service.engine.declaration import Declaration
from service.engine.rulebook import Rulebook
from service.engine.rulebook.models import DestinationNoticeRule
from service.engine.verdict import Action, Finding, RulebookStamp, Verdict, ordered, outcome_of, risk_score


def utc_now() -> datetime:
    """The time the lists' ages are measured at."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ScreeningContext:
    """What a screening needs besides the declaration: the rulebook and the denied-party screener.

    `lists` says what the screener holds (official or bundled, how old), for the coverage findings;
    `listed_from` maps (list, entry id) to the day a listing applies from, for the lists whose dates
    were reviewed (the curated lists); `clock` tells the age of the lists.
    """

    rulebook: Rulebook
    parties: PartyScreener | None = None
    lists: tuple[ListAge, ...] | None = None
    listed_from: Mapping[tuple[str, str], date] = field(default_factory=dict)
    clock: Callable[[], datetime] = utc_now


def screen(declaration: Declaration, context: ScreeningContext) -> Verdict:
    """Screen one declaration; deterministic for the same declaration, rulebook and lists."""
    rulebook = context.rulebook
    controls = goods.assess(declaration, rulebook)
    controlled = routes.controlled_lines(controls)  # the worst control per item, for routes and red flags
    findings = [
        *goods.goods_findings(declaration, rulebook, controls),
        *routes.hub_findings(declaration, rulebook, controlled),
        *routes.transit_findings(declaration, rulebook, controlled),
        *parties.party_findings(declaration, context.parties, context.listed_from),
        *coverage.coverage_findings(context.lists, context.clock()),
        *flags.forwarder_findings(declaration, rulebook, controlled),
        *flags.missing_end_user_findings(declaration, rulebook, controlled),
        *flags.mismatch_findings(declaration, rulebook),
        *flags.end_use_findings(declaration, rulebook),
        *flags.unit_value_findings(declaration, rulebook),
    ]
    if not any(f.action is not Action.INFO for f in findings):
        findings.extend(_destination_notices(declaration, rulebook))
    findings = ordered(findings)
    return Verdict(
        reference=declaration.reference,
        verdict=outcome_of(findings),
        risk_score=risk_score(findings),
        findings=findings,
        rulebook=RulebookStamp(version=rulebook.version, as_of=declaration.export_date),
        lists=context.parties.stamps() if context.parties is not None else [],
    )


def _destination_notices(declaration: Declaration, rulebook: Rulebook) -> list[Finding]:
    """Info: the goods go to a controlled country but no rule caught them (no general embargo)."""
    notices = []
    for rule in rulebook.of_kind(DestinationNoticeRule):
        for country in goods.going_to(declaration, rulebook):
            if rule.in_force(country, declaration.export_date):
                message = fill(rule.message, country=country, date=iso(declaration.export_date))
                notices.append(finding(rule, message, evidence={"country": country}))
    return notices
