"""Benchmark: list readers, snapshot writes and loads (what service start-up and reload cost).

Reads each shared-data list with its reader, stores it as a snapshot, loads every snapshot back the way
`load_entries` does (hash check, entry validation), and repeats the write and load for a generated
list of `--generated` entries (to see how start-up grows with a large list). Best of `--repeat` runs in
each of `--rounds` rounds, each with the load average. The baseline is reading the list's own file with
its reader; for the generated list, which has no file of its own, unzipping its snapshot and parsing each
line as JSON without validating it. A snapshot load's time as a share of its baseline, measured in the
same round, is the figure that holds on a busy machine.

    .venv/bin/python scripts/bench_lists.py --rounds 3 --repeat 3 --generated 250000
"""

from __future__ import annotations

import argparse
import gzip
import json
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


def parsed(path: Path) -> list[object]:
    """The snapshot's lines unzipped and parsed as JSON, not validated: the generated list's baseline."""
    with gzip.open(path, "rb") as stream:
        return [json.loads(line) for line in stream.read().split(b"\n")[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--generated", type=int, default=250_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, best of {args.repeat} per round")
    for number in range(1, args.rounds + 1):
        print(f"round {number}, load average {load_average():.2f}")
        one_round(args)


def one_round(args: argparse.Namespace) -> None:
    """Every list read, written and loaded, then the generated list."""
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
            parse_s, _ = best(args.repeat, lambda: parsed(snapshot_path(directory, "generated")))
            tracemalloc.start()  # a separate run: tracing slows the load down
            _, loaded = read_snapshot(snapshot_path(directory, "generated"))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            size = snapshot_path(directory, "generated").stat().st_size
            print(f"generated {len(loaded)} entries: write {write_s:.2f} s, load {load_s:.2f} s, "
                  f"file {size / 2**20:.1f} MiB, peak traced memory during load {peak / 2**20:.0f} MiB; "
                  f"parsed without validating (the baseline) {parse_s:.2f} s, load/parse {load_s / parse_s:.2f}")


if __name__ == "__main__":
    main()
