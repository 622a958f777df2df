"""Instructions per party-name query, counted by callgrind: a figure that does not move with the machine.

Rates and latencies on a shared machine move with whatever else runs on its cores; the number of
instructions a query executes does not. valgrind's callgrind counts them (Debian package `valgrind`).
The script runs itself under callgrind twice, both times loading the index and matching the same
warm-up names, then once more with the measured names after them; collection is on only inside
`PartyIndex.match` (the compiled matcher's entry point), and the difference between the two totals,
divided by the measured names, is the count per name.

Two sets of names:

- `never-seen` (the default): names made as `bench_api.py`'s cold run makes them, a never-seen word in
  front of a generated declaration's party name, against the OFAC 2021 list imported as `lists import`
  imports it, the index made from its stored tables as `serve` makes it;
- `generated`: queries from `bench_parties.py` (close variants of listed names and unrelated names)
  against 10,000 generated names, the index made from its stored tables.

    .venv/bin/python scripts/count_instructions.py                      # never-seen, 1,000 after 300
    .venv/bin/python scripts/count_instructions.py --names generated --queries 500 --warm-up 1000
    .venv/bin/python scripts/count_instructions.py --cache-sim --queries 300                  # caches kept
    .venv/bin/python scripts/count_instructions.py --cache-sim --queries 300 --pollute 8      # caches evicted

`--cache-sim` also counts the misses of callgrind's simulated last-level cache (`--cache-size`, by
default 2 MiB, the L2 cache of a core on the machines measured here): code and data fetched from
farther away, which instructions alone do not show. `--pollute MIB` reads that many MiB between the measured names (not
counted, but the simulated caches lose what the matcher had in them), as a server's other work does
between two requests: a name then costs what it costs in a server under load rather than in a loop.

The matcher must be compiled (`make setup`): uncompiled, `PartyIndex.match` is no C function that
callgrind could switch collection on for, and the script says so.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OFAC = ROOT.parent / "shared" / "data" / "ofac-sdn-2021"
EXPORT_SCREEN = str(Path(sys.executable).parent / "export-screen")
ENTRY_POINT = "CPyPy_index___PartyIndex___match"  # (mypyc's name for the method called from Python)
SYLLABLES = ("ka", "lo", "ve", "tra", "mar", "zu", "ri", "del", "sho", "pe", "qua", "bri", "no", "ax", "te", "vos")
FIRST_NEVER_SEEN = 1_000_000  # (the words of the warm-up and the measured names never meet)
GENERATED_NAMES = 10_000


def never_seen_word(number: int) -> str:
    """The number-th never-seen word, spelled as bench_api.py's cold run spells it (syllables by base 16)."""
    text = ""
    while True:
        text += SYLLABLES[number % 16]
        number //= 16
        if number == 0:
            return text[:1].upper() + text[1:]


def never_seen_names(count: int, start: int) -> list[tuple[str, str]]:
    """`count` names with their countries: a never-seen word in front of each party name of the HTTP
    benchmark's generated declarations, in turn. (The script's directory is first on the path: bench_api
    imports its neighbours by name.)"""
    import bench_api

    parties = [(party["name"], party["country"]) for body in bench_api.declarations(200)
               for party in (body["consignee"], body["end_user"], *body["parties"])]
    return [(f"{never_seen_word(start + number)} {parties[number % len(parties)][0]}",
             parties[number % len(parties)][1]) for number in range(count)]


def callgrind_events(path: Path) -> dict[str, int]:
    """Every event a callgrind output file counted (its `summary:` or `totals:` line), by name: `Ir`
    instructions; with the cache simulator also `ILmr`, `DLmr` and `DLmw`, the last-level misses of
    instruction fetches, data reads and data writes."""
    text = path.read_text(encoding="utf-8", errors="replace")
    found = re.search(r"^(?:summary|totals): ([\d ]+)$", text, re.M)
    if found is None:
        raise ValueError(f"{path}: no total in the callgrind output")
    named = re.search(r"^events: (.+)$", text, re.M)
    names = named.group(1).split() if named else ["Ir"]
    return dict(zip(names, (int(value) for value in found.group(1).split()), strict=False))


def child(args: argparse.Namespace) -> None:
    """Under callgrind: load the index, match the warm-up names, then the measured ones."""
    sys.path.insert(0, str(ROOT))  # (this checkout's matcher, whichever one the environment installed)
    from service.engine.parties.index import PartyIndex

    if args.names == "never-seen":
        from service.runtime import load_context
        from service.settings import Settings

        index = load_context(Settings(data_dir=args.data_dir)).parties.screener
        if not isinstance(index, PartyIndex):
            sys.exit("no party index")
        warm_up = never_seen_names(args.warm_up, FIRST_NEVER_SEEN)
        measured = never_seen_names(args.queries, FIRST_NEVER_SEEN + args.warm_up)
    else:
        from bench_parties import generated_entries, queries_for

        from service.engine.verdict import ListStamp
        from service.lists.indexes import read_tables, write_index

        rng = random.Random(20261121)
        entries = generated_entries(GENERATED_NAMES, rng)
        stamps = [ListStamp(name="generated", version="count", entries=len(entries))]
        stored = Path(args.data_dir) / "generated"
        if not stored.exists():  # (stored once, before the counted runs: building fills the key caches)
            write_index(stored, PartyIndex(entries, stamps, cache_size=0), "count")
        index = PartyIndex(entries, stamps, cache_size=0, tables=read_tables(stored, "count"))
        names = [entry.name for entry in entries]
        measured = [(name, "") for name in queries_for(names, 2000, rng)[: args.queries]]
        warm_up = [(name, "") for name in queries_for(names, 2000, random.Random(7))[: args.warm_up]]
    for name, country in warm_up:
        index.match(name, country or None)
    evicting = np.ones(args.pollute * 2**20 // 8)  # (read between the measured names, outside the counting)
    for name, country in measured[: args.measure]:
        if len(evicting):
            evicting.sum()
        index.match(name, country or None)


def run(command: list[str], **env: str) -> None:
    """Run a command from the scripts' directory with one hash seed (string hashes order sets and
    dictionaries, and with them a few hundred instructions a name); stop with its errors if it fails."""
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT / "scripts",
                          env={**os.environ, "PYTHONHASHSEED": "0", **env})
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")


def child_command(args: argparse.Namespace, data_dir: Path, *, queries: int, warm_up: int, measure: int) -> list[str]:
    return [sys.executable, __file__, "--child", "--names", args.names, "--data-dir", str(data_dir),
            "--queries", str(queries), "--warm-up", str(warm_up), "--measure", str(measure),
            "--pollute", str(args.pollute)]


def prepare(args: argparse.Namespace, data_dir: Path) -> None:
    """Store the index with this checkout's matcher before the counted runs, so that both make it from the
    stored tables, as `serve` does: a run that built it would find the list's words in the key caches,
    and its names would cost fewer instructions than the other run's."""
    run(child_command(args, data_dir, queries=0, warm_up=0, measure=0))


def counted(args: argparse.Namespace, data_dir: Path, measure: int, out: Path) -> dict[str, int]:
    """Events (instructions, and cache misses with --cache-sim) inside PartyIndex.match over the warm-up
    names and the first `measure` measured ones."""
    caches = ["--cache-sim=yes", f"--LL={args.cache_size * 2**20},16,64"] if args.cache_sim else []
    run(["valgrind", "--tool=callgrind", *caches, f"--toggle-collect={ENTRY_POINT}", f"--callgrind-out-file={out}",
         *child_command(args, data_dir, queries=args.queries, warm_up=args.warm_up, measure=measure)])
    return callgrind_events(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", choices=["never-seen", "generated"], default="never-seen")
    parser.add_argument("--queries", type=int, default=1000, help="Names measured.")
    parser.add_argument("--warm-up", type=int, default=300, help="Names matched before them, in both runs.")
    parser.add_argument("--ofac", type=Path, default=OFAC, help="The OFAC 2021 list's directory (never-seen names).")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--cache-sim", action="store_true", help="Also count last-level cache misses.")
    parser.add_argument("--cache-size", type=int, default=2, help="The simulated last-level cache, MiB.")
    parser.add_argument("--pollute", type=int, default=0, metavar="MIB",
                        help="MiB read between the measured names, evicting the caches.")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "var"
        if args.names == "never-seen":
            run([EXPORT_SCREEN, "lists", "import", "--format", "ofac", str(args.ofac)],
                EXPORT_SCREEN_DATA_DIR=str(data_dir), DATABASE_URL=f"sqlite:///{Path(scratch) / 'lists.db'}")
        else:
            data_dir.mkdir()
        prepare(args, data_dir)
        before = counted(args, data_dir, 0, Path(scratch) / "warm-up.out")
        after = counted(args, data_dir, args.queries, Path(scratch) / "measured.out")
    if before["Ir"] == 0:
        sys.exit(f"callgrind counted nothing inside {ENTRY_POINT}: is the matcher compiled (make setup)?")
    per_name = {event: (after[event] - before.get(event, 0)) / args.queries for event in after}
    print(f"{args.names} names: {per_name['Ir']:,.0f} instructions per name "
          f"({args.queries:,} names after {args.warm_up:,}; callgrind, inside PartyIndex.match)")
    if args.cache_sim:
        print(f"last-level misses per name ({args.cache_size} MiB simulated, {args.pollute} MiB read between names): "
              f"{per_name['ILmr']:,.0f} instruction fetches, {per_name['DLmr']:,.0f} data reads, "
              f"{per_name['DLmw']:,.0f} data writes")


if __name__ == "__main__":
    main()
