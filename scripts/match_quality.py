"""Measured match quality of the party scorer on the shared labelled name pairs and screening queries.

Precision, recall and F1 at the review and block thresholds (overall, per file, per category, and on two
halves of each file as a held-out check), beside two baselines on the same pairs: the Cascade files'
own `score` column (another engine's scores, at its best threshold) and plain rapidfuzz WRatio (at its
best threshold). Then the hit rate of the index on yente's UN positives and the false-hit rate on its
negatives, against the UN consolidated list.

    .venv/bin/python scripts/match_quality.py [--categories] [--errors FILE]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.engine.parties.scoring import score_names  # noqa: E402
from service.settings import Settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
PAIRS = DATA / "name-pairs"


@dataclass(frozen=True)
class Pair:
    """One labelled pair, with the other engine's score where the file has one."""

    dataset: str
    category: str
    name1: str
    name2: str
    is_match: bool
    other_score: float | None = None
    schema: str = ""  # Company, Person, Vessel, ...: the listed party's kind, which the service knows


@dataclass(frozen=True)
class Counts:
    """Confusion counts at one threshold."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_pairs() -> list[Pair]:
    """Every labelled pair of the Cascade files, the nomenklatura cases and the cross-script pairs."""
    pairs: list[Pair] = []
    for path in sorted(PAIRS.glob("cascade-name-pairs*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                pairs.append(Pair(path.stem, row["category"] or "-", row["name1"], row["name2"],
                                  row["is_match"] == "true", float(row["score"]), row["schema"]))
    with (PAIRS / "nomenklatura" / "cases.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            category = f"{row['case_group']}/{row['schema']}"
            pairs.append(Pair("nomenklatura", category, row["name1"], row["name2"], row["is_match"] == "true",
                              schema=row["schema"]))
    with (PAIRS / "cross_script_pairs.csv").open(encoding="utf-8") as handle:
        lines = (line for line in handle if line.strip() and not line.startswith("#"))
        for row in csv.reader(lines):
            pairs.append(Pair("cross_script", row[3], row[0], row[1], True))
    return pairs


def kind_of(pair: Pair) -> str:
    """The scorer's kind for a pair's schema column (Person, Vessel, Company, ...)."""
    return {"Person": "person", "Vessel": "vessel"}.get(pair.schema, "organisation")


def counts(scores: Iterable[tuple[float, bool]], threshold: float) -> Counts:
    """Confusion counts of `score >= threshold` against the labels."""
    tp = fp = fn = tn = 0
    for score, label in scores:
        hit = score >= threshold
        tp += hit and label
        fp += hit and not label
        fn += (not hit) and label
        tn += (not hit) and not label
    return Counts(tp, fp, fn, tn)


def best_threshold(scores: list[tuple[float, bool]]) -> tuple[float, Counts]:
    """The threshold with the best F1 (what a baseline could reach if tuned on the test data itself)."""
    best = (0.0, counts(scores, 0.0))
    for threshold in sorted({s for s, _ in scores}):
        current = counts(scores, threshold)
        if current.f1 > best[1].f1:
            best = (threshold, current)
    return best


def _row(label: str, c: Counts) -> str:
    return f"| {label} | {c.tp + c.fn} / {c.fp + c.tn} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} |"


def pair_report(pairs: list[Pair], review: float, block: float, show_categories: bool) -> list[str]:
    """Markdown tables for the labelled pairs."""
    ours = {id(p): score_names(p.name1, p.name2, kind_of(p)).score for p in pairs}
    groups: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        groups[pair.dataset].append(pair)
        if pair.dataset.startswith("cascade"):
            groups["cascade (both files)"].append(pair)
    lines = ["| pairs | positives / negatives | precision | recall | F1 |", "|---|---|---|---|---|"]
    for name, members in groups.items():
        scored = [(ours[id(p)], p.is_match) for p in members]
        lines.append(_row(f"{name} @ review {review:g}", counts(scored, review)))
        lines.append(_row(f"{name} @ block {block:g}", counts(scored, block)))
        for half in (0, 1):
            part = [(ours[id(p)], p.is_match) for p in members if _half(p) == half]
            lines.append(_row(f"{name} half {'AB'[half]} @ review {review:g}", counts(part, review)))
        wratio = [(fuzz.WRatio(p.name1, p.name2), p.is_match) for p in members]
        threshold, best = best_threshold(wratio)
        lines.append(_row(f"{name} baseline WRatio, best threshold {threshold:g}", best))
        if all(p.other_score is not None for p in members):
            other = [(p.other_score or 0.0, p.is_match) for p in members]
            threshold, best = best_threshold(other)
            lines.append(_row(f"{name} baseline file `score`, best threshold {threshold:g}", best))
    every = [(ours[id(p)], p.is_match) for p in pairs if p.dataset != "cross_script"]
    lines.append("")
    lines.append("threshold sweep (all labelled pairs): " + ", ".join(
        f"{t}: {counts(every, t).f1:.3f}" for t in range(50, 100, 5)))
    if show_categories:
        lines += ["", "| category | positives / negatives | P / R / F1 @ review | P / R / F1 @ block "
                      "| wrong at review | examples |", "|---|---|---|---|---|---|"]
        by_category: dict[tuple[str, str], list[Pair]] = defaultdict(list)
        for pair in pairs:
            by_category[(pair.dataset, pair.category)].append(pair)
        for (dataset, category), members in sorted(by_category.items()):
            scored = [(ours[id(p)], p.is_match) for p in members]
            at_review, at_block = counts(scored, review), counts(scored, block)
            wrong = [p for p in members if (ours[id(p)] >= review) != p.is_match]
            example = "; ".join(f"{p.name1} / {p.name2} ({ours[id(p)]:.0f})" for p in wrong[:2])
            lines.append(
                f"| {dataset}: {category} | {at_review.tp + at_review.fn} / {at_review.fp + at_review.tn} "
                f"| {at_review.precision:.2f} / {at_review.recall:.2f} / {at_review.f1:.2f} "
                f"| {at_block.precision:.2f} / {at_block.recall:.2f} / {at_block.f1:.2f} | {len(wrong)} | {example} |")
    return lines


def _half(pair: Pair) -> int:
    """A stable split of the pairs into two halves (the held-out check)."""
    return zlib.crc32(f"{pair.name1}|{pair.name2}".encode()) % 2


def query_report(review: float) -> list[str]:
    """Hit rate on yente's UN positives and false-hit rate on its negatives, against the UN list."""
    from service.engine.parties.index import PartyIndex
    from service.engine.parties.sources import read_list
    from service.engine.verdict import ListStamp

    read = read_list("un", DATA / "un-consolidated" / "UN_consolidated.xml")
    stamp = ListStamp(name="un-sc", version="bench", entries=len(read.entries))
    index = PartyIndex(read.entries, [stamp], review_threshold=review)
    lines = ["| query file | queries | with a hit at review | rate |", "|---|---|---|---|"]
    folder = DATA / "screening-queries" / "yente"
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            names = [row["full_name"] for row in csv.DictReader(handle) if row["full_name"]]
        started = time.perf_counter()
        hits = sum(bool(index.match(name)) for name in names)
        elapsed = time.perf_counter() - started
        lines.append(f"| {path.name} | {len(names)} | {hits} | {hits / len(names):.3f} "
                     f"({elapsed * 1000 / len(names):.2f} ms/query) |")
    return lines


def index_report(pairs: list[Pair], review: float) -> list[str]:
    """End to end: each positive pair's second name listed among the OFAC 2021 list (with aliases), the
    first name screened through the index. What the scorer accepts but the index never puts before
    it is a miss in production. Listed names repeated across pairs are listed once, so a query may
    find another pair's identical name instead (counted as a miss: the figure is a lower bound)."""
    from service.engine.parties.entry import EntryKind, ListEntry
    from service.engine.parties.index import PartyIndex
    from service.engine.parties.sources import read_list
    from service.engine.verdict import ListStamp

    kinds = {"person": EntryKind.PERSON, "organisation": EntryKind.ORGANISATION, "vessel": EntryKind.VESSEL}
    positives = [p for p in pairs if p.is_match]
    listed: dict[tuple[str, str], str] = {}
    for pair in positives:
        listed.setdefault((pair.name2, kind_of(pair)), f"pair-{len(listed)}")
    entries = [*read_list("ofac", DATA / "ofac-sdn-2021").entries,
               *(ListEntry(id=entry_id, source_list="pairs", name=name, kind=kinds[kind])
                 for (name, kind), entry_id in listed.items())]
    index = PartyIndex(entries, [ListStamp(name="ofac+pairs", version="bench", entries=len(entries))],
                       review_threshold=review, cache_size=0)
    lines = ["| pairs | positives | scorer at review | index finds it at review | share of the scorer's |",
             "|---|---|---|---|---|"]
    for dataset in dict.fromkeys(p.dataset for p in positives):
        scored = found = 0
        subset = [p for p in positives if p.dataset == dataset]
        for pair in subset:
            scored += score_names(pair.name1, pair.name2, kind_of(pair)).score >= review
            target = listed[(pair.name2, kind_of(pair))]
            found += any(hit.entry_id == target for hit in index.match(pair.name1))
        lines.append(f"| {dataset} | {len(subset)} | {scored} | {found} | {found / max(1, scored):.3f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--categories", action="store_true", help="per-category errors")
    parser.add_argument("--errors", type=Path, help="write every wrong pair to this CSV")
    parser.add_argument("--no-queries", action="store_true", help="skip the yente query sets")
    args = parser.parse_args()
    settings = Settings()
    pairs = load_pairs()
    print("\n".join(pair_report(pairs, settings.review_threshold, settings.block_threshold, args.categories)))
    if args.errors:
        with args.errors.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            for pair in pairs:
                result = score_names(pair.name1, pair.name2, kind_of(pair))
                if (result.score >= settings.review_threshold) != pair.is_match:
                    writer.writerow([pair.dataset, pair.category, pair.is_match, result.score, pair.name1,
                                     pair.name2, result.explanation])
    if not args.no_queries:
        print()
        print("\n".join(query_report(settings.review_threshold)))
        print()
        print("\n".join(index_report(pairs, settings.review_threshold)))


if __name__ == "__main__":
    main()
