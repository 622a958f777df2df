"""Benchmark: re-screening after a list change, on a large audit trail.

Stores SCREENINGS screenings (two named parties each, drawn from PARTIES distinct generated company names,
every export date still to come, one in twenty held for review and undecided) in a fresh database, loads
the OFAC 2021 copy (../shared/data/ofac-sdn-2021) as the list in force, and builds a new version of it
with DELTA added and changed entries: half new entries (a tenth of them naming screened parties, so hits
and alerts happen), half existing entries given a new alias. It then times what a load does: the digest of
every entry of the new version compared with the stored digests of the old one, and `rescreen_lists`
(parties read, delta index built, every party matched, alerts written).

Each of `--rounds` rounds (three by default) starts from the same stored screenings without alerts, prints
the load average and measures first the baseline: reading every stored party once, a plain SELECT of the
name and country of every `screening_parties` row, with no matching and no writing. The re-screening's
time as a multiple of it, in the same round, is the figure that holds on a busy machine.

    .venv/bin/python scripts/bench_rescreen.py --screenings 1000000 --parties 30000 --delta 1000
    .venv/bin/python scripts/bench_rescreen.py --database postgresql --screenings 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rounds import load_average, span
from sqlalchemy import Engine, delete, insert, text

from service.engine.checks.clearances import entry_digest
from service.engine.parties.entry import ListEntry
from service.engine.parties.sources import read_list
from service.runtime import build_party_index
from service.settings import Settings
from service.store.database import make_engine, upgrade
from service.store.outbox import EVENTS
from service.store.screenings import SCREENINGS
from service.store.workflow_tables import ALERTS, SCREENING_PARTIES
from service.workflow.delta import delta_from_states
from service.workflow.rescreen import rescreen_lists

ROOT = Path(__file__).resolve().parent.parent
OFAC = ROOT.parent / "shared" / "data" / "ofac-sdn-2021"
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SYLLABLES = ["ka", "ro", "mi", "ten", "vol", "gra", "zhi", "an", "po", "lek", "sun", "dar", "bel", "nor", "ta",
             "vik", "sha", "lin", "mar", "ost", "ul", "pe", "ri", "ko", "dan", "bra", "yu", "hem", "cas", "tor"]
WORDS = ["Trading", "Industrial", "Electronics", "Logistics", "Precision", "Machinery", "Components", "Global",
         "Technology", "Shipping", "Supply", "Import Export", "Engineering", "Instruments"]
FORMS = ["Co., Ltd.", "LLC", "GmbH", "KK", "JSC", "Ltd", "FZE", "Inc", "OOO", "S.A.", "Pte Ltd", "A.S."]
COUNTRIES = ["JP", "DE", "TR", "KZ", "CN", "AE", "RU", "BY", "US", "VN", "KR", "UZ", "AM", "HK"]
TODAY = date(2026, 12, 4)


def company(rng: random.Random) -> str:
    """A generated company name: one or two made-up words, a generic word, a legal form."""
    words = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
             for _ in range(rng.randint(1, 2))]
    return f"{' '.join(words)} {rng.choice(WORDS)} {rng.choice(FORMS)}"


def party_pool(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """`count` distinct (name, country) pairs."""
    pool: dict[tuple[str, str], None] = {}
    while len(pool) < count:
        pool[(company(rng), rng.choice(COUNTRIES))] = None
    return list(pool)


def store_screenings(engine: Engine, count: int, pool: list[tuple[str, str]], rng: random.Random) -> float:
    """Append `count` screenings with two parties each; the seconds it took."""
    started = time.perf_counter()
    moment = datetime.now(UTC)
    for start in range(0, count, 20_000):
        screenings, parties = [], []
        for number in range(start, min(count, start + 20_000)):
            screening_id, reference = str(uuid.uuid4()), f"SO-{number}"
            export_date = TODAY + timedelta(days=rng.randint(0, 60))
            verdict = "review" if number % 20 == 0 else "clear"
            (consignee, country), (end_user, user_country) = rng.choice(pool), rng.choice(pool)
            declaration = {"reference": reference, "consignee": {"name": consignee, "country": country},
                           "end_user": {"name": end_user, "country": user_country}}
            screenings.append({
                "id": screening_id, "screened_at": moment, "reference": reference, "verdict": verdict,
                "risk_score": 40 if verdict == "review" else 0, "rulebook_version": "sha256:bench",
                "as_of": export_date, "retrospective": False, "lists": [], "declaration": declaration,
                "findings": [], "result": {}, "caller_key_id": "bench", "request_id": "bench",
                "idempotency_key": None, "body_hash": None,
            })
            parties += [{"screening_id": screening_id, "reference": reference, "role": "consignee",
                         "name": consignee, "country": country, "export_date": export_date},
                        {"screening_id": screening_id, "reference": reference, "role": "end_user",
                         "name": end_user, "country": user_country, "export_date": export_date}]
        with engine.begin() as connection:
            connection.execute(insert(SCREENINGS), screenings)
            connection.execute(insert(SCREENING_PARTIES), parties)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))
        else:
            connection.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def new_version(old: list[ListEntry], size: int, pool: list[tuple[str, str]],
                rng: random.Random) -> list[ListEntry]:
    """The list with `size` entries added or changed: half new (a tenth naming screened parties), half
    existing ones with a new alias."""
    added = []
    for number in range(size // 2):
        name = rng.choice(pool)[0] if number % 10 == 0 else company(rng)
        added.append(ListEntry(id=f"NEW-{number}", source_list="ofac-sdn", name=name, countries=["RU"],
                               programs=["RUSSIA-EO14024"]))
    changed = {entry.id: entry for entry in rng.sample(old, size - size // 2)}
    renamed = [entry.model_copy(update={"aliases": [*entry.aliases, company(rng)]}) if entry.id in changed
               else entry for entry in old]
    return renamed + added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--screenings", type=int, default=1_000_000)
    parser.add_argument("--parties", type=int, default=30_000)
    parser.add_argument("--delta", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-rescreen-") as scratch:
        if args.database == "sqlite":
            url = f"sqlite:///{scratch}/bench.db"
        else:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = make_engine(POSTGRES)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}"
        engine = make_engine(url)
        try:
            upgrade(engine)
            run(engine, args, rng)
        finally:
            engine.dispose()
            if args.database == "postgresql":
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


def read_parties(engine: Engine) -> float:
    """Seconds to read the name and country of every stored party once: the baseline."""
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.execute(text("SELECT name, country FROM screening_parties")).fetchall()
    return time.perf_counter() - started


def without_alerts(engine: Engine) -> None:
    """Remove the alerts and webhook events of an earlier round, so that each round raises the same."""
    with engine.begin() as connection:
        connection.execute(delete(ALERTS))
        connection.execute(delete(EVENTS))


def run(engine: Engine, args: argparse.Namespace, rng: random.Random) -> None:
    pool = party_pool(args.parties, rng)
    stored_s = store_screenings(engine, args.screenings, pool, rng)
    print(f"stored {args.screenings:,} screenings ({args.parties:,} distinct parties) in {stored_s:.0f} s; "
          f"database {engine.dialect.name}, {os.cpu_count()} CPUs")
    old = read_list("ofac", OFAC).entries
    new = new_version(old, args.delta, pool, rng)
    stored = {(e.source_list, e.id): entry_digest(e) for e in old}
    settings = Settings()
    print("| round | load avg | read every party (baseline) | delta found | parties read | index | matching "
          "| alerts written | total | total / baseline |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    totals, ratios, loads = [], [], []
    for number in range(1, args.rounds + 1):
        without_alerts(engine)
        loads.append(load_average())
        baseline = read_parties(engine)
        started = time.perf_counter()
        current = {(e.source_list, e.id): e for e in new}
        delta = delta_from_states(stored, current, {key: entry_digest(e) for key, e in current.items()})
        diffed = time.perf_counter() - started
        outcome = rescreen_lists(engine, delta, lambda entries: build_party_index(settings, entries, []), TODAY)
        total = diffed + outcome.seconds
        totals.append(total)
        ratios.append(total / baseline)
        phases = " | ".join(f"{outcome.phases.get(k, 0):.1f} s" for k in ("parties", "index", "match", "alerts"))
        print(f"| {number} | {loads[-1]:.2f} | {baseline:.1f} s | {diffed:.2f} s | {phases} | {total:.1f} s "
              f"| {ratios[-1]:.1f} |")
    print(f"list of {len(old):,} entries -> {len(new):,}: delta of {len(delta.changed):,} added or changed entries; "
          f"{outcome.parties:,} distinct parties of {args.screenings:,} screenings re-screened: "
          f"{outcome.hits:,} hits, {outcome.alerts_raised:,} alerts")
    print(f"total {span(totals, 1)} s at load average {span(loads, 2)}; total / baseline (reading every stored "
          f"party once) {span(ratios, 1)}")


if __name__ == "__main__":
    main()
