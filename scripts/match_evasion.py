"""Recall and false hits of the denied-party screening on the generated sets (scripts/eval_sets.py).

OFAC 2021 and the UN list are loaded into the party index as the service loads them
(service.runtime.build_party_index, thresholds and cache from Settings, scripts prepared), and every
query is screened as the service screens a party: the name through the declaration's party-name
validation, then the index with the party's country. Per category and half: recall (the query found
its expected entry at review or block) and how many reached block; for the look-alike negatives the
false-hit rate (any hit at review or block). Then the "listed names as written" figure: every name and
alias of both lists, typed as listed, must find its own entry at block.

    .venv/bin/python scripts/match_evasion.py [--per-category 200] [--seed 2026] [--json] [--errors FILE]
    .venv/bin/python scripts/match_evasion.py --sets held-out.csv     # a set kept elsewhere, same columns
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SCRIPTS = Path(__file__).resolve().parent
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

import eval_sets  # noqa: E402
from eval_sets import CATEGORIES, NONE, LabelledQuery, entry_key  # noqa: E402
from pydantic import TypeAdapter, ValidationError  # noqa: E402

from service.engine.checks.parties import PartyHit  # noqa: E402
from service.engine.parties.entry import ListEntry  # noqa: E402
from service.engine.parties.index import PartyIndex  # noqa: E402
from service.engine.party_names import PartyName  # noqa: E402
from service.engine.verdict import Action, ListStamp  # noqa: E402
from service.runtime import build_party_index  # noqa: E402
from service.settings import Settings  # noqa: E402

Screen = Callable[[str, str], list[PartyHit]]


@dataclass
class Tally:
    """Counts for one category in one half."""

    queries: int = 0
    found: int = 0  # positives: the expected entry at review or block; negatives: any hit at review or block
    blocked: int = 0  # positives: the expected entry at block; negatives: any hit at block
    rejected: int = 0  # refused by input validation (a 422 at the API): neither found nor a false hit

    @property
    def rate(self) -> float:
        return self.found / self.queries if self.queries else 0.0


@dataclass(frozen=True)
class Outcome:
    """One screened query: what it should find, whether it did, the best hit."""

    query: LabelledQuery
    found: bool
    blocked: bool
    rejected: bool
    best: str  # "list:id score listed name" of the best hit, or ""


def build_index(entries: list[ListEntry], settings: Settings) -> PartyIndex:
    """The index as the service builds it from imported OFAC and UN snapshots."""
    stamps = [ListStamp(name=name, version="eval", entries=sum(e.source_list == name for e in entries))
              for name in dict.fromkeys(e.source_list for e in entries)]
    index = build_party_index(settings, entries, stamps)
    index.prepare_scripts()
    return index


PARTY_NAME: TypeAdapter[str] = TypeAdapter(PartyName)


def service_screen(index: PartyIndex, raw: bool = False) -> Screen:
    """Screen a party as the service does: the name validated as a declared party's name, then the index.

    A name the validation refuses raises ValidationError (a 422 at the API, a row error in batch).
    `raw`: the text goes to the index as it is, to see what the index alone does."""
    def screen(name: str, country: str) -> list[PartyHit]:
        if not raw:
            name = PARTY_NAME.validate_python(name)
        return index.match(name, country or None)

    return screen


def _hit_key(hit: PartyHit) -> str:
    return f"{hit.list_name}:{hit.entry_id}"


def screen_queries(queries: Iterable[LabelledQuery], screen: Screen) -> list[Outcome]:
    """Every query screened once."""
    outcomes = []
    for query in queries:
        try:
            hits = screen(query.query, query.country)
        except ValidationError:
            outcomes.append(Outcome(query, False, False, True, ""))
            continue
        if query.expected == NONE:
            found, blocked = bool(hits), any(h.action is Action.BLOCK for h in hits)
        else:
            mine = [h for h in hits if _hit_key(h) == query.expected]
            found, blocked = bool(mine), any(h.action is Action.BLOCK for h in mine)
        best = f"{_hit_key(hits[0])} {hits[0].score:.1f} {hits[0].matched_name}" if hits else ""
        outcomes.append(Outcome(query, found, blocked, False, best))
    return outcomes


def tallies(outcomes: Iterable[Outcome], by: Callable[[LabelledQuery], str]) -> dict[tuple[str, str], Tally]:
    """(category or group, half) -> counts; half "all" too."""
    table: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for outcome in outcomes:
        for half in (outcome.query.half, "all"):
            tally = table[(by(outcome.query), half)]
            tally.queries += 1
            tally.found += outcome.found
            tally.blocked += outcome.blocked
            tally.rejected += outcome.rejected
    return table


@dataclass
class AsWritten:
    """Listed names screened exactly as written."""

    names: int = 0
    at_block: int = 0
    at_review: int = 0  # found, but only at review
    misses: list[str] = field(default_factory=list)  # "list:id<TAB>name<TAB>review or not found"


def listed_as_written(entries: Sequence[ListEntry], index: PartyIndex, sample: int | None = None) -> AsWritten:
    """Every name and alias of every entry (or every n-th, with `sample`) screened as written, no country."""
    result = AsWritten()
    pairs = [(entry, name) for entry in entries for name in entry.all_names()]
    if sample:
        pairs = pairs[:: max(1, len(pairs) // sample)]
    for entry, name in pairs:
        result.names += 1
        mine = [h for h in index.match(name) if _hit_key(h) == entry_key(entry)]
        if any(h.action is Action.BLOCK for h in mine):
            result.at_block += 1
        else:
            result.at_review += bool(mine)
            result.misses.append(f"{entry_key(entry)}\t{name}\t{'review' if mine else 'not found'}")
    return result


def _rate(tally: Tally) -> str:
    return f"{tally.rate:.3f}" if tally.queries else "-"


def markdown(by_category: dict[tuple[str, str], Tally], by_group: dict[tuple[str, str], Tally],
             written: AsWritten | None) -> list[str]:
    """The report as markdown tables."""
    lines = ["| group | category | queries (tuning / reporting) | recall or false-hit rate: tuning | reporting "
             "| all | reached block (all) | refused as input |", "|---|---|---|---|---|---|---|---|"]
    for category, group in CATEGORIES.items():
        if (category, "all") not in by_category:
            continue
        tune, report, every = (by_category[(category, h)] for h in ("tuning", "reporting", "all"))
        lines.append(f"| {group} | {category} | {tune.queries} / {report.queries} | {_rate(tune)} "
                     f"| {_rate(report)} | {_rate(every)} | {every.blocked} | {every.rejected} |")
    lines += ["", "| group | measure | tuning | reporting | all |", "|---|---|---|---|---|"]
    for group in ("clerk", "evasion", "negative"):
        if (group, "all") not in by_group:
            continue
        measure = "false-hit rate" if group == "negative" else "recall"
        cells = [by_group[(group, h)] for h in ("tuning", "reporting", "all")]
        lines.append(f"| {group} | {measure} | " + " | ".join(
            f"{_rate(t)} ({t.found}/{t.queries})" if t.queries else "-" for t in cells) + " |")
    if written is not None:
        lines += ["", "| listed names as written (OFAC 2021 + UN) | names | own entry at block | only at review "
                  "| not found | share at block |", "|---|---|---|---|---|---|"]
        lost = written.names - written.at_block - written.at_review
        lines.append(f"| every name and alias | {written.names} | {written.at_block} | {written.at_review} | {lost} "
                     f"| {written.at_block / max(1, written.names):.4f} |")
    return lines


def as_json(by_category: dict[tuple[str, str], Tally], by_group: dict[tuple[str, str], Tally],
            written: AsWritten | None) -> dict[str, Any]:
    """The same figures for programs."""
    def cell(t: Tally) -> dict[str, Any]:
        return {**asdict(t), "rate": round(t.rate, 4)}

    return {
        "categories": {f"{c}/{h}": cell(t) for (c, h), t in sorted(by_category.items())},
        "groups": {f"{g}/{h}": cell(t) for (g, h), t in sorted(by_group.items())},
        "listed_as_written": None if written is None else
        {"names": written.names, "at_block": written.at_block, "at_review": written.at_review},
    }


def write_errors(path: Path, outcomes: Iterable[Outcome], written: AsWritten | None, half: str) -> None:
    """Every miss and false hit of one half (tuning by default: the reporting half's errors are not for tuning)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["category", "half", "query", "expected", "source_name", "best_hit"])
        for o in outcomes:
            wrong = o.found if o.query.expected == NONE else not o.found
            if wrong and half in (o.query.half, "all"):
                writer.writerow([o.query.category, o.query.half, o.query.query, o.query.expected,
                                 o.query.source_name, o.best])
        for miss in written.misses if written else []:
            key, name, what = miss.split("\t")
            writer.writerow(["listed-as-written", "-", name, key, name, what])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-category", type=int, default=200, help="queries per category (default 200)")
    parser.add_argument("--seed", type=int, default=eval_sets.SEED, help="generator seed")
    parser.add_argument("--sets", type=Path, help="screen this CSV (eval_sets.py columns) instead of generating")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument("--errors", type=Path, help="write the misses and false hits of one half to this CSV")
    parser.add_argument("--errors-half", choices=("tuning", "reporting", "all"), default="tuning")
    parser.add_argument("--written-sample", type=int, help="screen only about this many listed names as written")
    parser.add_argument("--no-written", action="store_true", help="skip the listed-names-as-written pass")
    parser.add_argument("--raw", action="store_true", help="skip the declaration's name validation")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    entries = eval_sets.load_entries()
    queries = eval_sets.read_csv(args.sets) if args.sets else eval_sets.generate(entries, args.per_category, args.seed)
    index = build_index(entries, Settings())
    outcomes = screen_queries(queries, service_screen(index, raw=args.raw))
    written = None if args.no_written else listed_as_written(entries, index, args.written_sample)
    by_category = tallies(outcomes, lambda q: q.category)
    by_group = tallies(outcomes, lambda q: q.group)
    if args.errors:
        write_errors(args.errors, outcomes, written, args.errors_half)
    if args.json:
        print(json.dumps(as_json(by_category, by_group, written), indent=2))
    else:
        print("\n".join(markdown(by_category, by_group, written)))
        print(f"\n{len(queries)} queries, {len(entries)} entries, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
