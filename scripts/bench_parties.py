"""Speed of the party index: build time, query throughput and latency, memory; beside a naive baseline.

Two lists: the OFAC SDN 2021 copy with its aliases (../shared/data/ofac-sdn-2021) and a generated list
of 250,000 names (`--names`; a million for the stored index's targets). Queries are half close variants
of listed names (typos, reordering, other legal form) and half unrelated names, all different, so the
query cache never answers (it is also turned off): the figures are the index's own. The baseline is
rapidfuzz.process.extractOne (WRatio) over every listed name, on fewer queries because it is slow; the
index's speed as a multiple of it, measured in the same round, is the figure that holds on a busy
machine. One process, one core; three rounds, each with the load average.

The index stored once per set of lists (service.lists.indexes) is measured too: writing it after the
build, then, in a second process that holds the list's entries already, making the index from it
(wall and CPU time), the private memory that adds to that process (smaps_rollup's Private_* fields;
this process keeps the same files mapped, as a running service does, so the pages they share count as
shared), and that process's queries on it.

    .venv/bin/python scripts/bench_parties.py [--names 250000] [--queries 20000] [--baseline-queries 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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
from service.lists.indexes import read_tables, stored_scripts, write_index  # noqa: E402

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


def private_mib() -> tuple[float, float]:
    """This process's private and shared resident memory (Linux smaps_rollup)."""
    fields: dict[str, int] = {}
    with open("/proc/self/smaps_rollup", encoding="ascii") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                fields[name] = int(rest.split()[0])
    private = fields["Private_Clean"] + fields["Private_Dirty"]
    shared = fields["Shared_Clean"] + fields["Shared_Dirty"]
    return private / 1024, shared / 1024


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


def timed_queries(index: PartyIndex, queries: list[str]) -> tuple[float, float, float, float, int]:
    """names/s per wall and per CPU second, p50 and p99 in ms, queries with a hit."""
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
    return (len(queries) / run, len(queries) / cpu, latencies[len(latencies) // 2] / 1e6,
            latencies[int(len(latencies) * 0.99)] / 1e6, hits)


def stored(label: str, index: PartyIndex, directory: Path, args: argparse.Namespace) -> None:
    """Write the index's tables, keep them mapped here, and make and query the index from them in a
    second process."""
    target = directory / label.replace(" ", "-").replace(",", "")
    started, cpu_started = time.perf_counter(), time.process_time()
    write_index(target, index, "bench")
    written, written_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    size = sum(path.stat().st_size for path in target.iterdir()) / 2**20
    # mapped and read here too, as a running service's other workers have them: the second process
    # shares these pages (its private memory is what it holds besides them)
    held = read_tables(target, "bench")
    held_scripts = stored_scripts(target)
    for array in [*held.arrays().values(), *(held_scripts.arrays("scripts").values() if held_scripts else [])]:
        int(array.sum())
    child = subprocess.run(
        [sys.executable, __file__, "--child", label, "--child-dir", str(target), "--names", str(args.names),
         "--queries", str(args.queries)], check=True, capture_output=True, text=True)
    found = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"| {label} | stored index | {size:.0f} MiB on disk | written in {written:.2f} s ({written_cpu:.2f} CPU-s) "
          f"| second process: made from it in {found['open']:.2f} s ({found['open_cpu']:.2f} CPU-s), "
          f"+{found['private']:.0f} MiB private, +{found['shared']:.0f} MiB shared "
          f"| {found['rate']:,.0f} names/s ({found['cpu_rate']:,.0f}/CPU-s) "
          f"| p50 {found['p50']:.3f} ms | p99 {found['p99']:.3f} ms "
          f"| cross-script keys read in {found['scripts']:.2f} s, +{found['scripts_private']:.0f} MiB private "
          f"| whole process {found['process_private']:.0f} MiB private, of which the list entries "
          f"{found['entries_private']:.0f} MiB |")
    del held, held_scripts


def child(args: argparse.Namespace) -> None:
    """The second process: the list's entries first, then the index made from the stored tables."""
    gc.collect()
    started_private = private_mib()[0]
    entries, queries = next((e, q) for label, e, q in datasets(args) if label == args.child)
    stamps = [ListStamp(name=args.child, version="bench", entries=len(entries))]
    gc.collect()
    private, shared = private_mib()
    started, cpu_started = time.perf_counter(), time.process_time()
    directory = Path(args.child_dir)
    index = PartyIndex(entries, stamps, cache_size=0, tables=read_tables(directory, "bench"),
                       stored_scripts=lambda: stored_scripts(directory))
    opened, opened_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    gc.collect()
    gc.freeze()
    rate, cpu_rate, p50, p99, _ = timed_queries(index, queries)
    after_private, after_shared = private_mib()
    started = time.perf_counter()
    index.prepare_scripts()
    scripts = time.perf_counter() - started
    gc.collect()
    print(json.dumps({"entries_private": private - started_private, "process_private": private_mib()[0],
                      "open": opened, "open_cpu": opened_cpu, "private": after_private - private,
                      "shared": after_shared - shared, "rate": rate, "cpu_rate": cpu_rate, "p50": p50, "p99": p99,
                      "scripts": scripts, "scripts_private": private_mib()[0] - after_private}))


def bench(label: str, entries: list[ListEntry], queries: list[str], args: argparse.Namespace, directory: Path) -> float:
    gc.collect()
    before = rss_mib()
    started = time.perf_counter()
    cpu_started = time.process_time()
    index = PartyIndex(entries, [ListStamp(name=label, version="bench", entries=len(entries))], cache_size=0)
    build = time.perf_counter() - started
    build_cpu = time.process_time() - cpu_started
    memory = rss_mib() - before
    gc.freeze()  # as service.runtime.load_context does after building the index
    rate, cpu_rate, p50, p99, hits = timed_queries(index, queries)
    print(f"| {label} | index | {len(entries):,} entries / {len(index):,} names "
          f"| build {build:.2f} s ({build_cpu:.2f} CPU-s) "
          f"| +{memory:.0f} MiB RSS | {rate:,.0f} names/s ({cpu_rate:,.0f}/CPU-s) "
          f"| p50 {p50:.3f} ms | p99 {p99:.3f} ms "
          f"| {hits / len(queries):.1%} with a hit |")
    # names from another script: the listed names' letters in Cyrillic, looked up by script keys
    gc.unfreeze()
    before, started, cpu_started = rss_mib(), time.perf_counter(), time.process_time()
    index.prepare_scripts()
    prepared, prepared_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    gc.freeze()
    foreign = [query.translate(CYRILLIC) for query in queries[:1000]]
    foreign_latencies = []
    for query in foreign:
        t0 = time.perf_counter_ns()
        index.match(query)
        foreign_latencies.append(time.perf_counter_ns() - t0)
    foreign_latencies.sort()
    print(f"| {label} | cross-script keys (Cyrillic queries) "
          f"| built once: {prepared:.2f} s ({prepared_cpu:.2f} CPU-s), "
          f"+{rss_mib() - before:.0f} MiB RSS | - | {len(foreign) / (sum(foreign_latencies) / 1e9):,.0f} names/s "
          f"| p50 {foreign_latencies[len(foreign) // 2] / 1e6:.3f} ms "
          f"| p99 {foreign_latencies[int(len(foreign) * 0.99)] / 1e6:.3f} ms | - |")
    gc.unfreeze()
    stored(label, index, directory, args)
    gc.freeze()
    names = [name for entry in entries for name in entry.all_names()]
    sample = queries[:args.baseline_queries]
    base_latencies = []
    for query in sample:
        t0 = time.perf_counter_ns()
        process.extractOne(query, names, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=85)
        base_latencies.append(time.perf_counter_ns() - t0)
    total = sum(base_latencies) / 1e9
    speedup = rate / (len(sample) / total)
    print(f"| {label} | naive extractOne(WRatio) | {len(names):,} names | - | - | {len(sample) / total:,.0f} names/s "
          f"| p50 {statistics.median(base_latencies) / 1e6:.3f} ms "
          f"| p99 {sorted(base_latencies)[int(len(sample) * 0.99)] / 1e6:.3f} ms | - |")
    return speedup


def datasets(args: argparse.Namespace) -> Iterator[tuple[str, list[ListEntry], list[str]]]:
    """The two lists and their queries, one after the other (the same in every process: one seeded
    generator)."""
    rng = random.Random(20261121)
    ofac = read_list("ofac", OFAC).entries
    ofac_names = [name for entry in ofac for name in entry.all_names()]
    yield "OFAC SDN 2021", ofac, queries_for(ofac_names, args.queries, rng)
    generated = generated_entries(args.names, rng)
    yield f"generated {args.names:,}", generated, queries_for([entry.name for entry in generated], args.queries, rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=250_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--baseline-queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # (the second process of the stored index)
    parser.add_argument("--child-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(native.describe())
    if native.stale_modules():
        sys.exit(f"compiled modules older than their source: {', '.join(native.stale_modules())}; run make setup")
    lists = list(datasets(args))
    speedups: dict[str, list[float]] = {label: [] for label, _, _ in lists}
    loads = []
    for number in range(1, args.rounds + 1):
        loads.append(load_average())
        print(f"\nround {number}, load average {loads[-1]:.2f}\n")
        print("| list | method | size | build | memory | throughput | p50 | p99 | queries with a hit |")
        print("|---|---|---|---|---|---|---|---|---|")
        for (label, entries, queries) in lists:
            with tempfile.TemporaryDirectory(prefix="bench-parties-") as directory:
                speedups[label].append(bench(label, entries, queries, args, Path(directory)))
            gc.collect()
        print(f"(load average at the end of the round: {load_average():.2f})")
    print(f"\n{args.rounds} rounds, load average {span(loads, 2)}; names/s of the index as a multiple of the "
          "naive extractOne in the same round: "
          + "; ".join(f"{label} {span(values, 0)}x" for label, values in speedups.items()))


if __name__ == "__main__":
    main()
