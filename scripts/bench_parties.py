"""Speed of the party index: build time, query throughput and latency, memory; beside a naive baseline.

Two lists: the OFAC SDN 2021 copy with its aliases (../shared/data/ofac-sdn-2021) and a generated list
of 250,000 names. Queries are half close variants of listed names (typos, reordering, other legal
form) and half unrelated names, all different, so the query cache never answers (it is also turned
off): the figures are the index's own. The baseline is rapidfuzz.process.extractOne (WRatio) over
every listed name, on fewer queries because it is slow; the index's speed as a multiple of it, measured
in the same round, is the figure that holds on a busy machine. One process, one core; three rounds,
each with the load average.

    .venv/bin/python scripts/bench_parties.py [--names 250000] [--queries 20000] [--baseline-queries 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

from rapidfuzz import fuzz, process, utils
from rounds import load_average, span

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.engine.parties import native  # noqa: E402
from service.engine.parties.entry import EntryKind, ListEntry  # noqa: E402
from service.engine.parties.index import PartyIndex  # noqa: E402
from service.engine.parties.sources import read_list  # noqa: E402
from service.engine.verdict import ListStamp  # noqa: E402

OFAC = ROOT.parent / "shared" / "data" / "ofac-sdn-2021"
SYLLABLES = ("ka", "lo", "ven", "tra", "mar", "zu", "rin", "del", "sho", "pe", "qua", "bri", "nor", "ax", "tel",
             "vos", "hel", "gar", "min", "dra", "sil", "ost", "cor", "ban", "lu", "fe", "ro", "ti", "nek", "sa")
WORDS = ("Trading", "Logistics", "Shipping", "Industries", "Electronics", "Machinery", "Holdings", "Group",
         "International", "Technology", "Marine", "Energy", "Precision", "Components", "Global", "Supply")
FORMS = ("LLC", "Ltd", "Co., Ltd.", "OOO", "JSC", "GmbH", "FZE", "Inc.", "LLP", "A.S.", "Sdn. Bhd.", "")


# Latin letters to Cyrillic ones: listed names written in another script (the cross-script keys)
CYRILLIC = str.maketrans("abvgdezijklmnoprstufhcyABVGDEZIJKLMNOPRSTUFHCY",
                         "абвгдезийклмнопрстуфхцыАБВГДЕЗИЙКЛМНОПРСТУФХЦЫ")


def rss_mib() -> float:
    """Resident memory of this process (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * 4096 / 2**20


def pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def generated_entries(count: int, rng: random.Random) -> list[ListEntry]:
    """Company and person names from random syllables, generic words and legal forms."""
    entries = []
    for number in range(count):
        if number % 3 == 0:
            name = f"{pseudo_word(rng).upper()}, {pseudo_word(rng)} {pseudo_word(rng)}"
            kind = EntryKind.PERSON
        else:
            words = [pseudo_word(rng) for _ in range(rng.randint(1, 2))] + rng.sample(WORDS, rng.randint(0, 2))
            name = f"{' '.join(words)} {rng.choice(FORMS)}".strip()
            kind = EntryKind.ORGANISATION
        entries.append(ListEntry(id=str(number), source_list="generated", name=name, kind=kind))
    return entries


def variant(name: str, rng: random.Random) -> str:
    """A close variant of a listed name: a typo, reordered words or another legal form."""
    words = name.replace(",", "").split()
    choice = rng.randrange(3)
    if choice == 0 and words:
        word = rng.randrange(len(words))
        letters = list(words[word])
        if len(letters) > 3:
            letters[rng.randrange(1, len(letters))] = rng.choice("aeiou")
        words[word] = "".join(letters)
    elif choice == 1:
        rng.shuffle(words)
    else:
        words.append(rng.choice(FORMS))
    return " ".join(words)


def queries_for(names: list[str], count: int, rng: random.Random) -> list[str]:
    half = [variant(rng.choice(names), rng) for _ in range(count // 2)]
    other = [f"{pseudo_word(rng)} {pseudo_word(rng)} {rng.choice(WORDS)} {rng.choice(FORMS)}".strip()
             for _ in range(count - len(half))]
    mixed = half + other
    rng.shuffle(mixed)
    return list(dict.fromkeys(mixed))


def bench(label: str, entries: list[ListEntry], queries: list[str], baseline_queries: int) -> float:
    gc.collect()
    before = rss_mib()
    started = time.perf_counter()
    cpu_started = time.process_time()
    index = PartyIndex(entries, [ListStamp(name=label, version="bench", entries=len(entries))], cache_size=0)
    build = time.perf_counter() - started
    build_cpu = time.process_time() - cpu_started
    memory = rss_mib() - before
    gc.freeze()  # as service.runtime.load_context does after building the index
    for query in queries[:200]:  # warm-up: rapidfuzz loads its kernels on first use
        index.match(query + " warmup")
    latencies = []
    hits = 0
    run_started = time.perf_counter()
    cpu_started = time.process_time()
    for query in queries:
        t0 = time.perf_counter_ns()
        hits += bool(index.match(query))
        latencies.append(time.perf_counter_ns() - t0)
    run = time.perf_counter() - run_started
    cpu = time.process_time() - cpu_started
    latencies.sort()
    p50 = latencies[len(latencies) // 2] / 1e6
    p99 = latencies[int(len(latencies) * 0.99)] / 1e6
    print(f"| {label} | index | {len(entries):,} entries / {len(index):,} names "
          f"| build {build:.2f} s ({build_cpu:.2f} CPU-s) "
          f"| +{memory:.0f} MiB RSS | {len(queries) / run:,.0f} names/s ({len(queries) / cpu:,.0f}/CPU-s) "
          f"| p50 {p50:.3f} ms | p99 {p99:.3f} ms "
          f"| {hits / len(queries):.1%} with a hit |")
    # names from another script: the listed names' letters in Cyrillic, looked up by script keys
    gc.unfreeze()
    before, started = rss_mib(), time.perf_counter()
    index.prepare_scripts()
    prepared = time.perf_counter() - started
    gc.freeze()
    foreign = [query.translate(CYRILLIC) for query in queries[:1000]]
    foreign_latencies = []
    for query in foreign:
        t0 = time.perf_counter_ns()
        index.match(query)
        foreign_latencies.append(time.perf_counter_ns() - t0)
    foreign_latencies.sort()
    print(f"| {label} | cross-script keys (Cyrillic queries) | built once: {prepared:.2f} s, "
          f"+{rss_mib() - before:.0f} MiB RSS | - | {len(foreign) / (sum(foreign_latencies) / 1e9):,.0f} names/s "
          f"| p50 {foreign_latencies[len(foreign) // 2] / 1e6:.3f} ms "
          f"| p99 {foreign_latencies[int(len(foreign) * 0.99)] / 1e6:.3f} ms | - |")
    names = [name for entry in entries for name in entry.all_names()]
    sample = queries[:baseline_queries]
    base_latencies = []
    for query in sample:
        t0 = time.perf_counter_ns()
        process.extractOne(query, names, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=85)
        base_latencies.append(time.perf_counter_ns() - t0)
    total = sum(base_latencies) / 1e9
    speedup = len(queries) / run / (len(sample) / total)
    print(f"| {label} | naive extractOne(WRatio) | {len(names):,} names | - | - | {len(sample) / total:,.0f} names/s "
          f"| p50 {statistics.median(base_latencies) / 1e6:.3f} ms "
          f"| p99 {sorted(base_latencies)[int(len(sample) * 0.99)] / 1e6:.3f} ms | - |")
    return speedup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=250_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--baseline-queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20261121)
    print(native.describe())
    if native.stale_modules():
        sys.exit(f"compiled modules older than their source: {', '.join(native.stale_modules())}; run make setup")
    ofac = read_list("ofac", OFAC).entries
    ofac_names = [name for entry in ofac for name in entry.all_names()]
    ofac_queries = queries_for(ofac_names, args.queries, rng)
    generated = generated_entries(args.names, rng)
    generated_queries = queries_for([entry.name for entry in generated], args.queries, rng)
    speedups: dict[str, list[float]] = {"OFAC SDN 2021": [], f"generated {args.names:,}": []}
    loads = []
    for number in range(1, args.rounds + 1):
        loads.append(load_average())
        print(f"\nround {number}, load average {loads[-1]:.2f}\n")
        print("| list | method | size | build | memory | throughput | p50 | p99 | queries with a hit |")
        print("|---|---|---|---|---|---|---|---|---|")
        for (label, entries, queries) in (("OFAC SDN 2021", ofac, ofac_queries),
                                          (f"generated {args.names:,}", generated, generated_queries)):
            speedups[label].append(bench(label, entries, queries, args.baseline_queries))
            gc.collect()
    print(f"\n{args.rounds} rounds, load average {span(loads, 2)}; names/s of the index as a multiple of the "
          "naive extractOne in the same round: "
          + "; ".join(f"{label} {span(values, 0)}x" for label, values in speedups.items()))


if __name__ == "__main__":
    main()
