"""The evaluation-set generator and its rules: independent of the matcher, deterministic, halves disjoint,
negatives unlisted."""

from __future__ import annotations

import io
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from service.engine.parties.entry import EntryKind, ListEntry
from tests.scripts.conftest import SCRIPTS, load_script

eval_sets = load_script("eval_sets")
eval_variants = load_script("eval_variants")  # (imported by eval_sets: the same module)

# The matcher's own modules: a set generated with them would measure the matcher against itself.
PROBE = f"""
import sys
sys.path.insert(0, {str(SCRIPTS)!r})
import eval_sets
allowed = ("service.engine.parties.entry", "service.engine.parties.sources")
loaded = sorted(m for m in sys.modules if m.startswith("service.engine.parties.") and not m.startswith(allowed))
print(",".join(loaded))
"""


def _loaded_by(probe: str) -> str:
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()


def test_generator_does_not_import_the_matcher() -> None:
    assert _loaded_by(PROBE) == ""


def test_probe_would_notice_the_matcher() -> None:
    """Guard against a probe that cannot fail."""
    assert "service.engine.parties.scoring" in _loaded_by(
        PROBE.replace("import eval_sets", "import eval_sets, service.engine.parties.scoring"))


@pytest.fixture(scope="module")
def everything() -> list[ListEntry]:
    """OFAC 2021 and UN, read once."""
    return list(eval_sets.load_entries())


@pytest.fixture(scope="module")
def entries(everything: list[ListEntry]) -> list[ListEntry]:
    """Every tenth entry: enough of each kind, fast to vary."""
    return everything[::10]


def test_same_seed_same_sets(entries: list[ListEntry]) -> None:
    first = eval_sets.generate(entries, per_category=5)
    assert first == eval_sets.generate(entries, per_category=5)
    assert first != eval_sets.generate(entries, per_category=5, seed=7)


def test_every_category_is_made(entries: list[ListEntry]) -> None:
    queries = eval_sets.generate(entries, per_category=5)
    counts: dict[str, int] = defaultdict(int)
    for query in queries:
        counts[query.category] += 1
    assert counts == dict.fromkeys(eval_sets.CATEGORIES, 5)
    assert all(q.query != q.source_name and q.query.strip() for q in queries)


def test_halves_are_disjoint_by_entry(entries: list[ListEntry]) -> None:
    """All variants of one entry fall in one half, and both halves are used."""
    queries = eval_sets.generate(entries, per_category=40)
    halves: dict[str, set[str]] = defaultdict(set)
    for query in queries:
        source = query.expected if query.expected != eval_sets.NONE else query.source_name
        halves[source].add(query.half)
    assert all(len(found) == 1 for found in halves.values())
    assert {q.half for q in queries} == {"tuning", "reporting"}


def test_half_of_is_stable() -> None:
    """A SHA-256 of the entry, not Python's randomised hash(): the same half on every run and machine."""
    assert [eval_sets.half_of(f"ofac-sdn:{n}") for n in (306, 307, 310, 311)] == [
        "tuning", "tuning", "tuning", "reporting"]


def test_negatives_are_not_listed(everything: list[ListEntry]) -> None:
    listed = {eval_variants.plain(name) for entry in everything for name in entry.all_names()}
    negatives = [q for q in eval_sets.generate(everything, per_category=60) if q.expected == eval_sets.NONE]
    assert len(negatives) == 3 * 60
    assert not [q.query for q in negatives if eval_variants.plain(q.query) in listed]


def _entry(name: str, kind: EntryKind = EntryKind.ORGANISATION) -> ListEntry:
    return ListEntry(id="1", source_list="test", name=name, kind=kind)


def test_inventor_refuses_a_name_holding_a_listed_name() -> None:
    inventor = eval_variants.Inventor([_entry("MOHAMED, Abdullahi Osman", EntryKind.PERSON)], random.Random(1))
    assert inventor.is_listed("mohamed abdullahi-osman")
    assert inventor.is_listed("Abdullahi Osman Mohamed Velmora")
    assert not inventor.is_listed("Abdullahi Velmora")
    assert eval_variants.plain(inventor.word()) not in {"mohamed", "abdullahi", "osman"}


@pytest.mark.parametrize(("variant", "name", "expected"), [
    ("typo_swap", "Idleb", "Ildeb"),
    ("word_order", "KOSTYUKOV, Igor Olegovich", "Igor Olegovich KOSTYUKOV"),
    ("word_order", "SHARP EDGE ENGINEERING LLC", "EDGE ENGINEERING SHARP LLC"),
    ("legal_form", "SHARP EDGE", None),  # a form added: checked below
    ("abbreviation", "JETLINK TEXTILES TRADING", "JETLINK TEXTILES TRDG"),
    ("all_caps", "KOSTYUKOV, Igor", "KOSTYUKOV, IGOR"),
    ("all_caps", "SHARP EDGE", None),
    ("run_together", "Sharp Edge Engineering Inc.", "SharpEdge Engineering Inc."),
    ("zero_width", "Sharp Edge", "Sharp\u200bEdge"),
    ("full_width", "AB 1", "ＡＢ １"),
])
def test_variants(variant: str, name: str, expected: str | None) -> None:
    made = getattr(eval_variants, variant)(name, random.Random(3))
    if variant == "legal_form":
        assert made is not None and made.startswith("SHARP EDGE ") and made != name
    else:
        assert made == expected


@pytest.mark.parametrize(("name", "spellings"), [
    ("Yevgeny", {"Evgeny", "Jewgeny", "Yevgeny", "Ievgeny", "Evgenii"}),
    ("Vladimirovich", {"Wladimirowitsch", "Vladimirovitch", "Vladimirovich"}),
    ("KHODAKOVSKIY", {"HODAKOVSKY", "CHODAKOWSKI", "KHODAKOVSKII", "KHODAKOVSKI"}),
])
def test_russian_schemes(name: str, spellings: set[str]) -> None:
    made = {eval_variants._retransliterate(name, scheme) for scheme in eval_variants.SCHEMES.values()}
    assert made - {name} and made <= spellings | {name}


@pytest.mark.parametrize(("name", "written"), [
    ("KOSTYUKOV, Igor Olegovich", "КОСТЮКОВ, Игор Олегович"),
    ("SHCHERBAKOV, Yevgeniy", "ЩЕРБАКОВ, Евгений"),
    ("Krylov Sergey", "Крылов Сергей"),  # y after a consonant ы, after a vowel й
])
def test_cyrillic(name: str, written: str) -> None:
    assert eval_variants.cyrillic(name, random.Random(1)) == written


def test_main_writes_one_half(entries: list[ListEntry], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eval_sets, "load_entries", lambda: entries)
    path = tmp_path / "held-out.csv"
    eval_sets.main(["--per-category", "6", "--seed", "9", "--half", "reporting", "-o", str(path)])
    written = eval_sets.read_csv(path)
    assert written and {q.half for q in written} == {"reporting"}
    assert written == [q for q in eval_sets.generate(entries, 6, 9) if q.half == "reporting"]


def test_csv_round_trip(entries: list[ListEntry], tmp_path: Path) -> None:
    queries = eval_sets.generate(entries, per_category=3)
    buffer = io.StringIO()
    eval_sets.write_csv(queries, buffer)
    path = tmp_path / "sets.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    assert eval_sets.read_csv(path) == queries
