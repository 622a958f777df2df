"""Benchmark: list readers, snapshot writes and loads (what service start-up and reload cost).

Reads each shared-data list with its reader, stores it as a snapshot, loads every snapshot back the way
`load_entries` does (hash check, entry validation), and repeats the write and load for a generated
list of `--generated` entries (to see how start-up grows with a large list). Best of `--repeat` runs,
with the load average. The baseline is reading the list's own file with its reader: a snapshot load's
time as a share of it, measured in the same run, is the figure that holds on a busy machine.
`--index-names N` measures the stored party index instead (service.lists.indexes) on a generated list
of N names: the build at import, and two worker processes that map it (load time, resident and
proportional memory, names/s, p99), each against the same list built in memory in one process.

    .venv/bin/python scripts/bench_lists.py --repeat 5 --generated 250000
    .venv/bin/python scripts/bench_lists.py --index-names 1000000 --queries 20000
"""

from __future__ import annotations

import argparse
import platform
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from rounds import load_average

from service.engine.parties.entry import EntryKind, ListEntry
from service.engine.parties.sources import read_list
from service.lists.intake import adopt_snapshots
from service.lists.load import load_entries
from service.lists.store import read_snapshot, snapshot_path, write_snapshot
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
LISTS = [
    ("ofac", DATA / "ofac-sdn-2021"),
    ("un", DATA / "un-consolidated" / "UN_consolidated.xml"),
    ("dpl", DATA / "bis-dpl" / "dpl.txt"),
    ("csl", DATA / "us-csl-sample" / "csl.csv"),
]
T = TypeVar("T")


def best(repeat: int, work: Callable[[], T]) -> tuple[float, T]:
    """Fastest wall time of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    assert result is not None
    return min(times), result


def generated(count: int) -> list[ListEntry]:
    """Entries shaped like OFAC's: 1-3 word names plus a legal form, some aliases, a country."""
    rng = random.Random(7)
    syllables = ["ka", "ro", "mi", "tan", "vel", "sor", "gri", "lux", "dor", "nem", "pa", "zhi", "ost", "bel"]
    forms = ["LLC", "Ltd", "GmbH", "OOO", "JSC", "Co., Ltd.", "FZE", ""]
    countries = ["RU", "BY", "CN", "IR", "KP", "TR", "AE", "SY"]

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize()

    entries = []
    for number in range(count):
        name = " ".join(word() for _ in range(rng.randint(1, 3))) + " " + rng.choice(forms)
        aliases = [" ".join(word() for _ in range(2)) for _ in range(rng.choice([0, 0, 1, 2]))]
        entries.append(ListEntry(id=str(number), source_list="generated", name=name.strip(), aliases=aliases,
                                 kind=EntryKind.ORGANISATION, countries=[rng.choice(countries)],
                                 programs=["TEST"]))
    return entries


# The stored party index (service.lists.indexes): built at import, memory-mapped by every process.
# Each worker below is a fresh process that loads the index the way service.runtime.load_context does
# and then screens; two run at once, so that the pages they share show in their PSS.
WORKER = """
import json, sys, time
sys.path.insert(0, {scripts!r})
from pathlib import Path
from service.settings import Settings
from service.lists.load import load_lists
from service.lists.indexes import party_index, screener
import bench_parties
settings = Settings(data_dir=Path({data_dir!r}), lists_dir=Path({lists_dir!r}))


def private_mib():
    memory = dict(line.split(":") for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:])
    return sum(int(memory[key].split()[0]) for key in ("Private_Clean", "Private_Dirty")) / 1024


before, private_before = bench_parties.rss_mib(), private_mib()
started, cpu_started = time.perf_counter(), time.process_time()
if {in_memory!r}:  # as before the stored index: every process loads the snapshots and builds
    lists = load_lists(settings)
    index = screener(settings, lists.entries, lists.stamps)
    index.prepare_scripts()
else:
    index = party_index(settings, load_lists(settings, entries=False))
loaded, loaded_cpu = time.perf_counter() - started, time.process_time() - cpu_started
queries = json.loads(Path({queries!r}).read_text())
for query in queries[:200]:
    index.match(query + " warmup")
loaded_private = private_mib()
latencies, cpu_latencies = [], []  # (CPU time per query too: on a shared machine the wall clock waits)
cpu = time.process_time()
for query in queries:
    t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
    index.match(query)
    latencies.append(time.perf_counter_ns() - t0)
    cpu_latencies.append(time.thread_time_ns() - c0)
cpu = time.process_time() - cpu
latencies.sort()
cpu_latencies.sort()
print("ready", flush=True)
sys.stdin.readline()  # (both workers hold their pages until both are measured)
memory = dict(line.split(":") for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:])
kib = lambda key: int(memory[key].split()[0]) / 1024
print(json.dumps({{"load_s": loaded, "load_cpu_s": loaded_cpu, "rss_before_mib": before, "rss_mib": kib("Rss"),
                  "pss_mib": kib("Pss"),
                  "private_mib": kib("Private_Clean") + kib("Private_Dirty"), "private_before_mib": private_before,
                  "added_mib": kib("Private_Clean") + kib("Private_Dirty") - private_before,
                  "loaded_mib": loaded_private - private_before,
                  "p99_cpu_ms": cpu_latencies[int(len(cpu_latencies) * 0.99)] / 1e6,
                  "names_per_s": len(queries) / (sum(latencies) / 1e9), "names_per_cpu_s": len(queries) / cpu,
                  "p50_ms": latencies[len(latencies) // 2] / 1e6,
                  "p99_ms": latencies[int(len(latencies) * 0.99)] / 1e6}}), flush=True)
"""


def stored_index(names: int, queries: int, scratch: Path) -> None:
    """A generated list of `names` names: build at import, then two processes mapping the stored index,
    against the same list built in memory in this process."""
    import gc
    import json

    import bench_parties  # (scripts/: its generator and queries)

    from service.engine.parties import native
    from service.lists.indexes import refresh_index
    from service.lists.load import load_lists
    from service.lists.manifest import record
    from service.lists.store import recorded, snapshot_dir
    from service.runtime import build_party_index

    print(native.describe())
    rng = random.Random(20261121)
    entries = bench_parties.generated_entries(names, rng)
    asked = bench_parties.queries_for([entry.name for entry in entries], queries, rng)
    settings = Settings(data_dir=scratch / "var", lists_dir=ROOT / "rules" / "lists")
    info = write_snapshot(snapshot_dir(settings.data_dir), "generated", "yaml", entries, "bench", "x")
    record(settings.data_dir, "generated", recorded(info))
    del entries
    gc.collect()
    # in memory, as every process did before: load the snapshot, build, script keys
    before, started, cpu_started = bench_parties.rss_mib(), time.perf_counter(), time.process_time()
    lists = load_lists(settings)
    index = build_party_index(settings, lists.entries, lists.stamps)
    index.prepare_scripts()
    memory_start, memory_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    gc.freeze()
    memory_rss = bench_parties.rss_mib() - before
    latencies = []
    for query in asked:
        t0 = time.thread_time_ns()  # (CPU time: on a shared machine the wall clock also counts the waits)
        index.match(query)
        latencies.append(time.thread_time_ns() - t0)
    latencies.sort()
    memory_rate = len(asked) / (sum(latencies) / 1e9)
    memory_p99 = latencies[int(len(latencies) * 0.99)] / 1e6
    gc.unfreeze()
    del index, lists
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    refresh_index(settings)  # what `lists import` adds: read the snapshot, build, write the tables
    built, built_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    stored = sum(path.stat().st_size for path in (settings.data_dir / "index").rglob("*.npy"))
    (scratch / "queries.json").write_text(json.dumps(asked))
    results = _workers(settings, scratch / "queries.json", 2)
    print(f"build at import: {built:.1f} s ({built_cpu:.1f} CPU-s); in memory, as every process did: "
          f"{memory_start:.1f} s ({memory_cpu:.1f} CPU-s)")
    print(f"generated list: {names:,} names; {len(asked):,} queries (half close variants, half unrelated)")
    print(f"{'':<34} {'in memory':>12} {'stored':>12} {'ratio':>8}")
    second = results[1]
    rows = [
        ("start: index ready (s)", memory_start, second["load_s"]),
        ("start: index ready (CPU-s)", memory_cpu, second["load_cpu_s"]),
        ("build at import (s)", memory_start, built),
        ("memory added by loading (MiB)", memory_rss, second["loaded_mib"]),
        ("names per CPU-s", memory_rate, second["names_per_cpu_s"]),
        ("p99 (CPU-ms)", memory_p99, second["p99_cpu_ms"]),
    ]
    for label, before_value, after_value in rows:
        print(f"{label:<34} {before_value:>12.2f} {after_value:>12.2f} {after_value / before_value:>7.2f}x")
    print(f"stored tables: {stored / 2**20:.0f} MiB on disk")
    for number, result in enumerate(results, 1):
        print(f"worker {number}: load {result['load_s']:.2f} s ({result['load_cpu_s']:.2f} CPU-s), "
              f"RSS {result['rss_mib']:.0f} MiB "
              f"(before loading {result['rss_before_mib']:.0f}), PSS {result['pss_mib']:.0f} MiB, "
              f"private {result['private_mib']:.0f} MiB ({result['loaded_mib']:.0f} added by loading, "
              f"{result['added_mib']:.0f} after the queries), "
              f"{result['names_per_s']:,.0f} names/s "
              f"({result['names_per_cpu_s']:,.0f}/CPU-s), p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms "
              f"({result['p99_cpu_ms']:.2f} CPU-ms)")


def _workers(settings: Settings, queries: Path, count: int, in_memory: bool = False) -> list[dict[str, float]]:
    """Start `count` worker processes one after the other (the later ones find the earlier ones' pages
    in the page cache), let each load and screen, then measure all while all are alive."""
    import json
    import subprocess
    import sys

    code = WORKER.format(scripts=str(ROOT / "scripts"), data_dir=str(settings.data_dir),
                         lists_dir=str(settings.lists_dir), queries=str(queries), in_memory=in_memory)
    workers = []
    for _ in range(count):
        worker = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, cwd=ROOT)
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        workers.append(worker)
    return [json.loads(worker.communicate("\n")[0]) for worker in workers]


def stored_index_shared(queries: int, scratch: Path) -> None:
    """OFAC 2021 and UN as stored snapshots: a worker's start-up (lists and index ready) with the
    stored index against building in memory."""
    import json

    import bench_parties

    from service.lists.indexes import refresh_index
    from service.lists.intake import take_in

    settings = Settings(data_dir=scratch / "var", lists_dir=ROOT / "rules" / "lists")
    take_in(settings, "ofac", DATA / "ofac-sdn-2021")
    take_in(settings, "un", DATA / "un-consolidated" / "UN_consolidated.xml")
    started, cpu_started = time.perf_counter(), time.process_time()
    refresh_index(settings)
    built, built_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    entries = read_list("ofac", DATA / "ofac-sdn-2021").entries
    names = [name for entry in entries for name in entry.all_names()]
    (scratch / "shared.json").write_text(json.dumps(bench_parties.queries_for(names, queries, random.Random(5))))
    memory = _workers(settings, scratch / "shared.json", 1, in_memory=True)[0]
    stored = _workers(settings, scratch / "shared.json", 2)
    print(f"OFAC 2021 + UN: index stored at import in {built:.1f} s ({built_cpu:.1f} CPU-s)")
    print(f"{'':<34} {'in memory':>12} {'stored':>12} {'ratio':>8}")
    for label, key in [("start: lists and index ready (s)", "load_s"), ("same, CPU-s", "load_cpu_s"),
                       ("memory added by loading (MiB)", "loaded_mib"), ("names per CPU-s", "names_per_cpu_s"),
                       ("p99 (CPU-ms)", "p99_cpu_ms")]:
        print(f"{label:<34} {memory[key]:>12.2f} {stored[1][key]:>12.2f} {stored[1][key] / memory[key]:>7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--generated", type=int, default=250_000)
    parser.add_argument("--index-names", type=int, default=0,
                        help="only the stored party index, on a generated list of this many names")
    parser.add_argument("--queries", type=int, default=20_000)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, best of {args.repeat}, "
          f"load average {load_average():.2f}")
    if args.index_names:
        with tempfile.TemporaryDirectory() as scratch:
            stored_index_shared(min(args.queries, 5_000), Path(scratch) / "shared")
            stored_index(args.index_names, args.queries, Path(scratch))
        return
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "lists"
        print(f"{'list':<10} {'entries':>8} {'read':>9} {'write':>9} {'load':>9} {'file':>9} {'load/read':>9}")
        for list_format, path in LISTS:
            read_s, read = best(args.repeat, lambda f=list_format, p=path: read_list(f, p))
            write_s, _ = best(args.repeat, lambda r=read, f=list_format: write_snapshot(
                directory, f, f, r.entries, "bench", "x"))
            load_s, _ = best(args.repeat, lambda f=list_format: read_snapshot(snapshot_path(directory, f)))
            size = snapshot_path(directory, list_format).stat().st_size
            print(f"{list_format:<10} {len(read.entries):>8} {read_s * 1000:>7.0f}ms {write_s * 1000:>7.0f}ms "
                  f"{load_s * 1000:>7.0f}ms {size / 1024:>6.0f}KiB {load_s / read_s:>9.2f}")
        settings = Settings(data_dir=Path(scratch), lists_dir=ROOT / "rules" / "lists")
        adopt_snapshots(settings)  # written here directly, so recorded in the manifest as `lists adopt` does
        load_all_s, (entries, stamps) = best(args.repeat, lambda: load_entries(settings))
        print(f"load_entries: {len(entries)} entries in {len(stamps)} lists: {load_all_s * 1000:.0f} ms")
        if args.generated:
            big = generated(args.generated)
            write_s, _ = best(1, lambda: write_snapshot(directory, "generated", "yaml", big, "bench", "x"))
            del big
            load_s, (_, loaded) = best(args.repeat, lambda: read_snapshot(snapshot_path(directory, "generated")))
            del loaded
            tracemalloc.start()  # a separate run: tracing slows the load down
            _, loaded = read_snapshot(snapshot_path(directory, "generated"))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            size = snapshot_path(directory, "generated").stat().st_size
            print(f"generated {len(loaded)} entries: write {write_s:.2f} s, load {load_s:.2f} s, "
                  f"file {size / 2**20:.1f} MiB, peak traced memory during load {peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
