"""The catch-up after a change of lists or rules: the first load records a baseline, a change is screened
again exactly once, by whichever worker moves the baseline, and a restart notices a change as a reload does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session, select

from service.engine.rulebook import load_rulebook
from service.engine.screen import ScreeningContext
from service.engine.verdict import Outcome, RulebookStamp, Verdict
from service.runtime import build_party_index
from service.settings import Settings
from service.stamps import stamp_of
from service.store.database import make_engine
from service.store.list_states import claim_lists, read_baseline
from service.store.screenings import add_screening
from service.store.workflow_tables import AlertRow
from service.workflow.catch_up import catch_up, lists_fingerprint
from service.workflow.delta import ListDelta
from service.workflow.rescreen import rescreen_lists
from tests.api.listed import ListOnFile, entry

RULES = Path(__file__).resolve().parents[2] / "rules"
DAY = date(2024, 6, 1)


def _listed(settings: Settings) -> ListOnFile:
    return ListOnFile(load_rulebook(RULES), settings, [entry("E-1", "Acme Trading Co")])


def _shipment(settings: Settings, name: str) -> None:
    engine = make_engine(settings.database_url)
    verdict = Verdict(reference="SO-1", verdict=Outcome.CLEAR, risk_score=0, findings=[],
                      rulebook=RulebookStamp(version="sha256:x", as_of=DAY))
    with Session(engine) as session:
        add_screening(session, stamp=stamp_of(Settings()), verdict=verdict, caller_key_id="k", request_id="r",
                      declaration={"reference": "SO-1", "consignee": {"name": name, "country": "JP"}})
        session.commit()
    engine.dispose()


def _alerts(settings: Settings) -> list[AlertRow]:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        rows = list(session.exec(select(AlertRow)).all())
    engine.dispose()
    return rows


def test_the_first_load_records_the_baseline_and_a_change_is_screened_once(database_url: str,
                                                                            tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path)
    listed = _listed(settings)
    engine = make_engine(database_url)
    _shipment(settings, "Kuril Shipping Ltd")
    assert catch_up(engine, settings, listed.context()) is None  # the baseline
    with Session(engine) as session:
        baseline = read_baseline(session)
        assert baseline is not None and baseline.lists_fingerprint == lists_fingerprint(listed.context())
    listed.replace(*listed.entries, entry("E-9", "Kuril Shipping Ltd"))
    context = listed.context()
    done = catch_up(engine, settings, context)
    assert done is not None and done.lists is not None and done.lists.alerts_raised == 1
    assert catch_up(engine, settings, context) is None  # the same lists again (another worker, a restart)
    assert [alert.entry_id for alert in _alerts(settings)] == ["E-9"]
    engine.dispose()


def test_a_worker_that_lost_the_claim_writes_nothing(database_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path)
    listed = _listed(settings)
    engine = make_engine(database_url)
    _shipment(settings, "Kuril Shipping Ltd")
    old = lists_fingerprint(listed.context())
    catch_up(engine, settings, listed.context())
    listed.replace(*listed.entries, entry("E-9", "Kuril Shipping Ltd"))
    assert catch_up(engine, settings, listed.context()) is not None  # the first worker
    late = rescreen_lists(engine, ListDelta([entry("E-9", "Kuril Shipping Ltd")], []),
                          lambda entries: build_party_index(settings, entries, []), DAY,
                          claim=lambda session: claim_lists(session, old, "anything"))
    assert late.claimed is False and len(_alerts(settings)) == 1
    engine.dispose()


def test_no_lists_no_catch_up(database_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path)
    engine = make_engine(database_url)
    assert catch_up(engine, settings, ScreeningContext(rulebook=load_rulebook(RULES))) is None
    with Session(engine) as session:
        assert read_baseline(session) is None
    engine.dispose()
