"""Start-up of a process that screens: what `serve` workers and batch workers pay for the party index.

Imports the OFAC SDN 2021 and UN lists of the shared data into a fresh data directory (`lists import`
stores the party index once, timed), then, per round, starts fresh processes that load the screening
context as an API worker does (cross-script keys up front) and as a batch worker does (without): with
the stored index, and with it removed (every process builds its own, as before the index was stored).
Each process reports the seconds spent reading the lists, making the party index, and in all of
load_context, and its own memory afterwards (anonymous pages: what no other process can share), while
it holds the context (or the index it built). "Lists read": with the stored index, the
snapshots' headers and file hashes (the entries come from the index's files); without it, the entries
too, each snapshot proven whole.

Storing the index after an import is timed in a process of its own, as `lists import` runs it
(`--refreshes N` times): the process stores the lists again, then stores their index from the entries
it has just written. The script reports the store's wall time, its CPU time and that of the second
process that builds the cross-script keys meanwhile (service.lists.script_keys: from 50,000 entries,
so at OFAC and UN size there is none), and the peak resident memory of each.

The baseline, in every round: the same kind of process loading its context from a data directory
that holds no list (the interpreter, the service's modules and the rulebook, which every worker pays
whatever its lists). The script reports load_context with the lists ÷ the baseline's, and the memory
of a process's own above the baseline's: what the lists cost a process, on any machine.

`--names N` stores a generated list of N names instead (bench_parties.py's names), as `lists import`
would: a million names is the size of aggregated sanctions and PEP lists. `--stored-only` leaves out
the processes that build their own index (at a million names each takes about half a minute).
`--queries N` then has each process that loaded its context match N names (bench_parties.py's
queries: close variants of listed names and unrelated names) and reports its own memory again, with
the caches that queries fill (decoded rows and strings, keys, entries), and the pages of the mapped
stored files it has read (shared with every other process that maps them).

    .venv/bin/python scripts/bench_startup.py --rounds 3
    .venv/bin/python scripts/bench_startup.py --names 1000000 --stored-only --rounds 3
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rounds import load_average, span

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.engine.parties.entry import ListEntry  # noqa: E402
from service.lists.indexes import party_index, refresh_index, screener  # noqa: E402
from service.lists.intake import take_in  # noqa: E402
from service.lists.load import load_lists  # noqa: E402
from service.lists.manifest import record  # noqa: E402
from service.lists.store import WrittenSnapshot, recorded, snapshot_dir, store_snapshot  # noqa: E402
from service.runtime import load_context  # noqa: E402
from service.settings import Settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
LISTS = [("ofac", DATA / "ofac-sdn-2021"), ("un", DATA / "un-consolidated" / "UN_consolidated.xml")]
KINDS = {"serve": True, "batch": False}  # cross-script keys up front
QUERIES = "queries.json"  # in the data directory, for the child processes


def memory_mib() -> tuple[float, float]:
    """This process's own memory (anonymous pages: heap, objects) and the pages of mapped files it has
    read (the stored index: page cache, shared by every process that maps the same files), from Linux
    smaps_rollup. A fresh process shares no anonymous page with another."""
    fields: dict[str, int] = {}
    with open("/proc/self/smaps_rollup", encoding="ascii") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                fields[name] = int(rest.split()[0])
    return fields["Anonymous"] / 1024, (fields["Rss"] - fields["Anonymous"]) / 1024


def child(data_dir: Path, kind: str, stored: bool, queries: list[str]) -> None:
    """One fresh process: the lists, the index, then load_context as a whole (timed apart)."""
    settings = Settings(data_dir=data_dir)
    up_front = KINDS[kind]
    started = time.perf_counter()
    lists = load_lists(settings)
    if not stored:
        len(lists.entries)  # (read when first asked for: here, as the build needs them)
    read = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    built = None
    if stored:
        party_index(settings, lists, scripts_up_front=up_front)
    else:
        built = screener(settings, lists)
        if up_front:
            built.prepare_scripts()
    made, made_cpu = time.perf_counter() - started, time.process_time() - cpu
    del lists
    started = time.perf_counter()
    context = load_context(settings, scripts_up_front=up_front) if stored else None
    whole = time.perf_counter() - started
    # (measured while the context, or the built index, is held, as a worker holds it)
    own, _ = memory_mib()
    searching = context.parties if context is not None else None
    if searching is not None:
        for query in queries:
            searching.match(query)
    after, mapped = memory_mib()
    print(json.dumps({"lists": read, "index": made, "index_cpu": made_cpu, "context": whole,
                      "own": own, "own_after": after, "mapped_after": mapped}))
    del context, built  # (held until measured)


def baseline_child(kind: str) -> None:
    """One fresh process loading its context from a data directory that holds no list: what a worker
    pays whatever its lists."""
    with tempfile.TemporaryDirectory(prefix="bench-startup-empty-") as empty:
        started = time.perf_counter()
        context = load_context(Settings(data_dir=Path(empty)), scripts_up_front=KINDS[kind])
        whole = time.perf_counter() - started
        own, _ = memory_mib()
        print(json.dumps({"context": whole, "own": own}))
        del context


def imported(data_dir: Path, names: int) -> tuple[list[ListEntry], list[WrittenSnapshot]]:
    """Store the lists as `lists import` does (the generated list of `names` names, or OFAC and UN): the
    entries, and the snapshots as written."""
    settings = Settings(data_dir=data_dir)
    if names:
        from bench_parties import generated_entries

        entries = generated_entries(names, random.Random(20261121))
        info, written = store_snapshot(snapshot_dir(data_dir), "generated", "yaml", entries, "generated", "-")
        record(data_dir, "generated", recorded(info))
        return entries, [written]
    stored = [take_in(settings, list_format, path).written for list_format, path in LISTS]
    return load_lists(settings).entries, [snapshot for snapshot in stored if snapshot is not None]


def refresh(data_dir: Path, names: int) -> None:
    """In a process of its own, as `lists import` runs: store the lists again, then the index, timed."""
    shutil.rmtree(data_dir / "index", ignore_errors=True)
    _, written = imported(data_dir, names)
    started, cpu = time.perf_counter(), time.process_time()
    refresh_index(Settings(data_dir=data_dir), written)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    aside, own = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall": wall, "cpu": used, "aside_cpu": aside.ru_utime + aside.ru_stime,
                      "peak_mib": own.ru_maxrss / 1024, "aside_peak_mib": aside.ru_maxrss / 1024}))


def refreshed(data_dir: Path, names: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--refresh", "--data-dir", str(data_dir), "--names", str(names)]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    found: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def run_baseline(kind: str) -> dict[str, float]:
    """The baseline process's figures."""
    result = subprocess.run([sys.executable, __file__, "--child", kind, "--baseline"], check=True,
                            capture_output=True, text=True)
    found: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def run(data_dir: Path, kind: str, stored: bool) -> dict[str, float]:
    """A child process's figures (the queries, if any, are in the data directory's queries.json)."""
    command = [sys.executable, __file__, "--child", kind, "--data-dir", str(data_dir)]
    result = subprocess.run([*command, *([] if stored else ["--built"])], check=True, capture_output=True, text=True)
    found: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--names", type=int, default=0, help="A generated list of this many names instead.")
    parser.add_argument("--stored-only", action="store_true", help="Only processes that use the stored index.")
    parser.add_argument("--queries", type=int, default=0, help="Names each process matches after loading.")
    parser.add_argument("--refreshes", type=int, default=1, help="Times the index is stored afresh, timed.")
    parser.add_argument("--child", choices=sorted(KINDS), help=argparse.SUPPRESS)
    parser.add_argument("--refresh", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--built", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.refresh:
        refresh(args.data_dir, args.names)
        return
    if args.child and args.baseline:
        baseline_child(args.child)
        return
    if args.child:
        asked = args.data_dir / QUERIES
        child(args.data_dir, args.child, not args.built, json.loads(asked.read_text()) if asked.exists() else [])
        return
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as directory:
        entries, _ = imported(Path(directory), args.names)
        described = f"{args.names:,} generated names" if args.names else "OFAC 2021 + UN"
        if args.queries:
            from bench_parties import queries_for

            names = [entry.name for entry in entries]
            (Path(directory) / QUERIES).write_text(json.dumps(queries_for(names, args.queries, random.Random(7))))
        del entries
        for _ in range(args.refreshes):
            load = load_average()
            timed = refreshed(Path(directory), args.names)
            print(f"index stored at import ({described}): {timed['wall']:.2f} s, {timed['cpu']:.2f} CPU-s "
                  f"+ {timed['aside_cpu']:.2f} CPU-s in the second process, peak resident memory "
                  f"{timed['peak_mib']:,.0f} MiB + {timed['aside_peak_mib']:,.0f} MiB, load average {load:.2f}")
        print()
        print("| round | load average | process | party index | index made in (CPU) | lists read in | load_context | "
              f"own MiB | after {args.queries:,} queries: own MiB, mapped files MiB |")
        print("|---:|---:|---|---|---:|---:|---:|---:|---:|")
        made: dict[tuple[str, bool], list[float]] = {}
        to_baseline: dict[str, list[float]] = {}  # load_context with the lists ÷ the baseline's
        above_baseline: dict[str, list[float]] = {}  # own MiB above the baseline's
        for number in range(1, args.rounds + 1):
            load = load_average()
            for kind in KINDS:
                base = run_baseline(kind)
                print(f"| {number} | {load:.2f} | {kind} | none (baseline) | - | - | {base['context']:.2f} s "
                      f"| {base['own']:.0f} | - |")
                for stored in (True,) if args.stored_only else (True, False):
                    found = run(Path(directory), kind, stored)
                    made.setdefault((kind, stored), []).append(found["index_cpu"])
                    context = f"{found['context']:.2f} s" if stored else "-"
                    if stored:
                        to_baseline.setdefault(kind, []).append(found["context"] / base["context"])
                        above_baseline.setdefault(kind, []).append(found["own"] - base["own"])
                    print(f"| {number} | {load:.2f} | {kind} | {'stored' if stored else 'built'} "
                          f"| {found['index']:.2f} s ({found['index_cpu']:.2f}) | {found['lists']:.2f} s | {context} "
                          f"| {found['own']:.0f} | {found['own_after']:.0f}, {found['mapped_after']:.0f} |")
        print("\nindex made in, CPU-seconds (range over rounds): " + "; ".join(
            f"{kind} {'stored' if stored else 'built'} {span(values, 2)} s" for (kind, stored), values in made.items()))
        print("load_context with the stored index ÷ the baseline (no list), range over rounds: " + "; ".join(
            f"{kind} {span(values, 2)}" for kind, values in to_baseline.items()))
        print("own memory above the baseline, MiB, range over rounds: " + "; ".join(
            f"{kind} {span(values)}" for kind, values in above_baseline.items()))


if __name__ == "__main__":
    main()
