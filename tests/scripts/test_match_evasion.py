"""The measuring script runs end to end on a small sample, and counts what it should."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.engine.checks.parties import PartyHit
from service.engine.parties.entry import ListEntry
from service.engine.verdict import Action
from service.settings import Settings
from tests.scripts.conftest import load_script

eval_sets = load_script("eval_sets")
match_evasion = load_script("match_evasion")


@pytest.fixture(scope="module")
def entries() -> list[ListEntry]:
    return list(eval_sets.load_entries())[::20]


def _hit(key: str, action: Action) -> PartyHit:
    list_name, _, entry_id = key.partition(":")
    return PartyHit(list_name=list_name, entry_id=entry_id, listed_name="X", matched_name="X", score=80.0,
                    action=action, explanation="test")


def _query(expected: str, category: str) -> object:
    return eval_sets.LabelledQuery(query="Q", expected=expected, category=category,
                                   group=eval_sets.CATEGORIES[category], half="tuning", kind="organisation",
                                   country="", source_name="S")


def test_counting() -> None:
    """Recall counts the expected entry only; a negative counts any hit; block is counted apart."""
    queries = [_query("ofac-sdn:1", "typo-drop"), _query("ofac-sdn:2", "typo-drop"),
               _query("none", "other-surname"), _query("none", "other-surname")]
    answers = {0: [_hit("ofac-sdn:1", Action.BLOCK)], 1: [_hit("ofac-sdn:9", Action.BLOCK)],
               2: [_hit("un-sc:7", Action.REVIEW)], 3: []}
    order = iter(range(4))
    outcomes = match_evasion.screen_queries(queries, lambda name, country: answers[next(order)])
    table = match_evasion.tallies(outcomes, lambda q: q.category)
    assert (table[("typo-drop", "all")].found, table[("typo-drop", "all")].blocked) == (1, 1)
    assert (table[("other-surname", "all")].found, table[("other-surname", "all")].blocked) == (1, 0)
    assert table[("typo-drop", "reporting")].queries == 0


def test_service_screen_refuses_what_the_api_refuses(entries: list[ListEntry]) -> None:
    index = match_evasion.build_index(entries, Settings())
    outcomes = match_evasion.screen_queries(
        [eval_sets.LabelledQuery(query="A\u202eB", expected="none", category="other-surname", group="negative",
                                 half="tuning", kind="person", country="", source_name="AB")],
        match_evasion.service_screen(index))
    assert outcomes[0].rejected and not outcomes[0].found


def test_listed_names_as_written(entries: list[ListEntry]) -> None:
    index = match_evasion.build_index(entries, Settings())
    written = match_evasion.listed_as_written(entries, index, sample=100)
    assert written.names >= 100
    assert written.at_block + written.at_review > 0.9 * written.names


def test_main_on_a_small_sample(entries: list[ListEntry], monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setattr(eval_sets, "load_entries", lambda: entries)
    errors = tmp_path / "errors.csv"
    match_evasion.main(["--per-category", "4", "--written-sample", "50", "--json", "--errors", str(errors)])
    figures = json.loads(capsys.readouterr().out)
    assert {key.split("/")[0] for key in figures["categories"]} == set(eval_sets.CATEGORIES)
    assert figures["groups"]["clerk/all"]["queries"] == 4 * len(eval_sets.CLERK)
    assert figures["groups"]["clerk/all"]["rate"] > 0.5  # variants of listed names are mostly found
    assert figures["listed_as_written"]["names"] >= 50
    assert errors.read_text(encoding="utf-8").startswith("category,half,query")
    match_evasion.main(["--per-category", "2", "--no-written"])
    assert "| clerk | typo-drop |" in capsys.readouterr().out
