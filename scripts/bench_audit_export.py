"""Benchmark: the audit export and report over a large trail, in time and peak memory.

Fills a fresh migrated database with N screenings of the example declaration (its real verdict, findings
and list stamps; a tenth of them held with a decision), then times `audit export` to CSV and to JSON Lines
and `audit report` over the whole period, each in a child process of its own so that its peak resident
memory is its own.

    .venv/bin/python scripts/bench_audit_export.py --database sqlite --screenings 20000
    .venv/bin/python scripts/bench_audit_export.py --database postgresql --screenings 20000
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

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


def timed(url: str, args: list[str]) -> tuple[float, int]:
    """Seconds and peak resident memory (KiB) of one `export-screen` run in a child process."""
    probe = ("import resource, sys; from service.cli import app; sys.argv = ['export-screen', *sys.argv[1:]]\n"
             "try:\n    app()\nexcept SystemExit as exit:\n    code = exit.code\nelse:\n    code = 0\n"
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(code)")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, *args], env={**os.environ, "DATABASE_URL": url},
                          capture_output=True, text=True, check=True)
    return time.perf_counter() - started, int(done.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--screenings", type=int, default=20_000)
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
            results = {}
            for name, args in [("export csv", ["audit", "export", *period, "-o", f"{scratch}/a.csv"]),
                               ("export jsonl", ["audit", "export", *period, "-o", f"{scratch}/a.jsonl"]),
                               ("report", ["audit", "report", *period, "--format", "json"])]:
                seconds, peak = timed(url, args)
                results[name] = {"seconds": round(seconds, 2), "peak_rss_mib": round(peak / 1024, 1)}
            sizes = {name: round(Path(scratch, name).stat().st_size / 2**20, 1) for name in ("a.csv", "a.jsonl")}
            print(json.dumps({"database": options.database, "screenings": options.screenings, "runs": results,
                              "file_mib": sizes}, indent=2))
        finally:
            if admin is not None:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
