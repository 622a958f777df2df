"""Benchmark: the audit export and report over a large trail, in time and peak memory.

Fills a fresh migrated database with N screenings of the example declaration (its real verdict, findings
and list stamps; a tenth of them held with a decision), then times `audit export` to CSV and to JSON Lines
and `audit report` over the whole period, each in a child process of its own so that its peak resident
memory is its own. Each of `--rounds` rounds (three by default) prints the load average and first runs
the baseline, also in a child process: a plain `SELECT *` of the same screenings rows, written as CSV by
the csv module, with no service code imported. Each command's time as a multiple of it, in the same
round, is the figure that holds on a busy machine.

    .venv/bin/python scripts/bench_audit_export.py --database sqlite --screenings 20000
    .venv/bin/python scripts/bench_audit_export.py --database postgresql --screenings 20000
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from rounds import load_average, span
from sqlalchemy import text
from sqlmodel import Session

from service.engine.declaration import TAIPEI, Declaration
from service.engine.screen import screen
from service.runtime import load_context
from service.settings import Settings
from service.stamps import stamp_of
from service.store.database import make_engine, upgrade
from service.store.decisions import DecisionKind, ReasonCode, add_decision
from service.store.screenings import add_screenings, new_screening

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHUNK = 1000
PEAK = "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
COMMAND = ("import resource, sys; from service.cli import app; sys.argv = ['export-screen', *sys.argv[1:]]\n"
           "try:\n    app()\nexcept SystemExit as exit:\n    code = exit.code\nelse:\n    code = 0\n"
           f"{PEAK}\nsys.exit(code)")
BASELINE = ("import csv, os, resource, sys; from sqlalchemy import create_engine, text\n"
            "with create_engine(os.environ['DATABASE_URL']).connect() as connection, "
            "open(sys.argv[1], 'w', newline='') as out:\n"
            "    rows = connection.execute(text('SELECT * FROM screenings'))\n"
            "    writer = csv.writer(out)\n    writer.writerow(rows.keys())\n    writer.writerows(rows)\n"
            f"{PEAK}")


def fill(url: str, count: int) -> None:
    """`count` screenings of the example declaration, one in ten held with a decision."""
    settings = Settings()
    declaration = Declaration.model_validate_json((ROOT / "docs/examples/declaration.json").read_text())
    verdict = screen(declaration, load_context(settings))
    data, stamp = declaration.model_dump(mode="json"), stamp_of(settings)
    engine = make_engine(url)
    upgrade(engine)
    for start in range(0, count, CHUNK):
        with Session(engine) as session:
            rows = [new_screening(declaration=data, verdict=verdict, stamp=stamp, caller_key_id="bench",
                                  request_id="bench") for _ in range(min(CHUNK, count - start))]
            add_screenings(session, rows)
            session.flush()
            for row in rows[::10]:
                add_decision(session, screening_id=row.id, decision=DecisionKind.HOLD,
                             reason_code=ReasonCode.DIVERSION_RISK, note="route not explained",
                             decided_by_key_id="bench", decided_by_role="reviewer", request_id="bench")
            session.commit()
    engine.dispose()


def timed(url: str, args: list[str], probe: str = COMMAND) -> tuple[float, int]:
    """Seconds and peak resident memory (KiB) of one `export-screen` run (or `probe`) in a child process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, *args], env={**os.environ, "DATABASE_URL": url},
                          capture_output=True, text=True, check=True)
    return time.perf_counter() - started, int(done.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--screenings", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        schema = f"bench_{secrets.token_hex(4)}"
        url = f"sqlite:///{scratch}/bench.db"
        admin = None
        if options.database == "postgresql":
            admin = make_engine(POSTGRES)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}"
        try:
            fill(url, options.screenings)
            today = datetime.now(TAIPEI).date()
            period = ["--from", (today - timedelta(days=1)).isoformat(), "--to", today.isoformat()]
            runs = [("export csv", ["audit", "export", *period, "-o", f"{scratch}/a.csv"]),
                    ("export jsonl", ["audit", "export", *period, "-o", f"{scratch}/a.jsonl"]),
                    ("report", ["audit", "report", *period, "--format", "json"])]
            print(f"{options.database}, {options.screenings:,} screenings")
            print("| round | load avg | SELECT to CSV (baseline) | " + " | ".join(name for name, _ in runs) + " |")
            print("|---:|---:|---:|" + "---:|" * len(runs))
            ratios: dict[str, list[float]] = {name: [] for name, _ in runs}
            loads = []
            for number in range(1, options.rounds + 1):
                loads.append(load_average())
                base, base_peak = timed(url, [f"{scratch}/plain.csv"], BASELINE)
                cells = [f"{base:.2f} s, {base_peak / 1024:.0f} MiB"]
                for name, args in runs:
                    seconds, peak = timed(url, args)
                    ratios[name].append(seconds / base)
                    cells.append(f"{seconds:.2f} s, {peak / 1024:.0f} MiB, x{seconds / base:.1f}")
                print(f"| {number} | {loads[-1]:.2f} | " + " | ".join(cells) + " |")
            sizes = {name: round(Path(scratch, name).stat().st_size / 2**20, 1)
                     for name in ("plain.csv", "a.csv", "a.jsonl")}
            print(f"files (MiB): {sizes}; load average {span(loads, 2)}; time / baseline: "
                  + ", ".join(f"{name} {span(values, 1)}" for name, values in ratios.items()))
        finally:
            if admin is not None:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
