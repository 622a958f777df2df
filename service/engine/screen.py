"""screen(declaration, context) -> Verdict: the sum of every check's findings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from service.engine import declaration as declarations
from service.engine.checks import classification, clearances, coverage, dates, flags, goods, parties, permits, routes
from service.engine.checks.clearances import NO_STANDING, Standing
from service.engine.checks.coverage import ListAge
from service.engine.checks.parties import PartyScreener
from service.engine.checks.text import fill, finding, iso
from service.engine.declaration import Declaration
from service.engine.parties.entry import ListEntry
from service.engine.rulebook import Rulebook
from service.engine.rulebook.models import DestinationNoticeRule
from service.engine.verdict import Action, Finding, RulebookStamp, Verdict, ordered, outcome_of, risk_score

PAST_DAYS = 30  # default of EXPORT_SCREEN_EXPORT_DATE_PAST_DAYS


def utc_now() -> datetime:
    """The time the lists' ages are measured at."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ScreeningContext:
    """What a screening needs besides the declaration: the rulebook, the denied-party screener, what
    the screener holds, and how the export date is judged.

    `lists` says what the screener holds (official or bundled, how old), for the coverage findings;
    `listed_from` maps (list, entry id) to the day a listing applies from, for the lists whose dates
    were reviewed (the curated lists); `clock` tells the age of the lists. `screening_day` gives the
    screening date, `past_days` how far back an export date may lie, and `retrospective` whether this
    is an audit of a past shipment. A shell changes the mode per request with
    dataclasses.replace(context, retrospective=True).

    `entries` maps (list, entry id) to the loaded entry, so party findings carry the digest of what they
    rest on; `standing` holds the reviewers' clearances and the own deny list, looked up by the shell
    (for the declaration's party names, or all of them for a file batch).
    """

    rulebook: Rulebook
    parties: PartyScreener | None = None
    lists: tuple[ListAge, ...] | None = None
    listed_from: Mapping[tuple[str, str], date] = field(default_factory=dict)
    clock: Callable[[], datetime] = utc_now
    retrospective: bool = False  # audit of a past shipment: rules as of its export date, no backdating review
    past_days: int = PAST_DAYS  # an export date further back than this is a review (outside retrospective mode)
    screening_day: Callable[[], date] | None = None  # the screening date; None: today in Asia/Taipei
    entries: Mapping[tuple[str, str], ListEntry] = field(default_factory=dict)
    standing: Standing = NO_STANDING

    def today(self) -> date:
        """The screening date."""
        return self.screening_day() if self.screening_day is not None else declarations.today_in_taipei()


def screen(declaration: Declaration, context: ScreeningContext) -> Verdict:
    """Screen one declaration; deterministic for the same declaration, rulebook, lists and screening date."""
    rulebook = context.rulebook
    today = context.today()
    findings = _rule_findings(declaration, rulebook, [
        *_party_findings(declaration, context),
        *coverage.coverage_findings(context.lists, context.clock()),
    ])
    if not context.retrospective and dates.lies_in_past(declaration, today, context.past_days):
        leaving_today = declaration.model_copy(update={"export_date": today})
        findings.extend(dates.backdating_findings(declaration, today, _rule_findings(leaving_today, rulebook, [])))
    findings = ordered(findings)
    return Verdict(
        reference=declaration.reference,
        verdict=outcome_of(findings),
        risk_score=risk_score(findings),
        findings=findings,
        rulebook=RulebookStamp(version=rulebook.version, as_of=declaration.export_date, screened_on=today,
                               retrospective=context.retrospective),
        lists=context.parties.stamps() if context.parties is not None else [],
    )


def _party_findings(declaration: Declaration, context: ScreeningContext) -> list[Finding]:
    """List hits (each with its entry's digest, cleared ones as info), then the own deny list."""
    found = parties.party_findings(declaration, context.parties, context.listed_from)
    found = clearances.with_entry_hashes(found, context.entries)
    found = clearances.apply_clearances(found, declaration, context.standing)
    return [*found, *clearances.own_list_findings(declaration, context.standing)]


def _rule_findings(declaration: Declaration, rulebook: Rulebook, party_findings: list[Finding]) -> list[Finding]:
    """Every rule's findings on the export date, with the party findings in their place (check order)."""
    controls = goods.assess(declaration, rulebook)
    controlled = routes.controlled_lines(controls)  # the worst control per item, for routes and red flags
    findings = [
        *goods.goods_findings(declaration, rulebook, controls),
        *classification.classification_findings(declaration, rulebook, controls),
        *permits.permit_findings(declaration, rulebook, controls),
        *routes.hub_findings(declaration, rulebook, controlled),
        *routes.transit_findings(declaration, rulebook, controlled),
        *party_findings,
        *flags.forwarder_findings(declaration, rulebook, controlled),
        *flags.missing_end_user_findings(declaration, rulebook, controlled),
        *flags.mismatch_findings(declaration, rulebook),
        *flags.end_use_findings(declaration, rulebook),
        *flags.unit_value_findings(declaration, rulebook),
    ]
    if not any(f.action is not Action.INFO for f in findings):
        findings.extend(_destination_notices(declaration, rulebook))
    return findings


def _destination_notices(declaration: Declaration, rulebook: Rulebook) -> list[Finding]:
    """Info: the goods go to a controlled country but no rule caught them (no general embargo)."""
    notices = []
    for rule in rulebook.of_kind(DestinationNoticeRule):
        for country in goods.going_to(declaration, rulebook):
            if rule.in_force(country, declaration.export_date):
                message = fill(rule.message, country=country, date=iso(declaration.export_date))
                notices.append(finding(rule, message, evidence={"country": country}))
    return notices
