"""Benchmark: the reviewers' queue page with 100,000 screenings stored.

Fills a fresh, migrated SQLite database (or the PostgreSQL server of TEST_POSTGRES_URL, in a schema of its
own) with N screenings through the store's own bulk INSERT: 60% clear, 30% review, 10% block, made from
four declarations screened by the real engine on the bundled rules and lists (held ones to Türkiye, the UAE,
Russia and Korea, one with a party hit), a tenth of the held ones decided. Then signs in through the form
and times the queue page through the app in-process (httpx ASGITransport: routing, session look-up, the
queries and the template, as a browser would ask for them) for several filters, three rounds, each with
the load average. It reports the CPU time the process spent per page (the server's own work, which a
shared machine does not inflate) beside the wall time (which waits for a core whenever others run).
The baseline, asked as often in each round over the same signed-in client, is `/healthz`: the app's
middleware and routing with no query and no template. Each page's median CPU time as a multiple of the
baseline's, in the same round, is the figure that holds on another machine.

    .venv/bin/python scripts/bench_review.py [--screenings 100000] [--requests 20] [--rounds 3] [--database sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from rounds import load_average
from sqlalchemy import text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.api.app import create_app  # noqa: E402
from service.engine.declaration import Declaration  # noqa: E402
from service.engine.screen import ScreeningContext, screen  # noqa: E402
from service.engine.verdict import Verdict  # noqa: E402
from service.runtime import load_context  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.stamps import stamp_of  # noqa: E402
from service.store.database import make_engine, now, upgrade  # noqa: E402
from service.store.decisions import DecisionKind, ReasonCode, add_decision  # noqa: E402
from service.store.keys import Role, create_key  # noqa: E402
from service.store.screenings import add_screenings, new_screening  # noqa: E402

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHUNK = 2000
ITEMS = [{"hs_code": "8542.31", "description": "Microcontrollers", "quantity": 500}]
SHAPES: list[tuple[float, dict[str, Any]]] = [  # (share, declaration fields): clear, review, block, party hit
    (0.60, {"consignee": {"name": "Sakura Furniture KK", "country": "JP"}, "destination_country": "JP",
            "items": [{"hs_code": "9403.60", "description": "tables"}]}),
    (0.25, {"consignee": {"name": "Anadolu Makine", "country": "TR"}, "destination_country": "TR",
            "transit_countries": ["AE"], "items": ITEMS}),
    (0.10, {"consignee": {"name": "Volga Instruments", "country": "RU"}, "destination_country": "RU",
            "items": [{"hs_code": "854231", "eccn": "3A001", "description": "FPGA"}]}),
    (0.05, {"consignee": {"name": "Sharp Edge Engineering Co., Ltd.", "country": "KR"}, "destination_country": "KR",
            "items": [{"hs_code": "9403.60", "description": "tables"}]}),
]
RULE, LIST = "TW-HUB-ROUTE", "tw-curated"  # the hub rule of the Türkiye shape; the list of the party hit
FILTERS = ["", "?order=newest", "?verdict=block", "?verdict=review&country=AE", "?rule={rule}", "?list={list}",
           "?country=KR", "?country=BR", "?order=newest&rule={rule}", "?order=newest&country=AE",
           "?reference=SO-00123", "?from={month_ago}&to={today}", "?order=newest&after={after}"]


def verdicts(context: ScreeningContext) -> list[tuple[float, dict[str, Any], Verdict]]:
    """Each shape's declaration with the verdict the engine gives it."""
    made = []
    for share, fields in SHAPES:
        declaration = Declaration.model_validate({"reference": "SO-0", "export_date": str(context.today()),
                                                  **fields})
        made.append((share, declaration.model_dump(mode="json"), screen(declaration, context)))
    return made


def shape_of(shapes: list[tuple[float, dict[str, Any], Verdict]], point: float) -> tuple[dict[str, Any], Verdict]:
    """The shape whose share covers `point` (0 to 1): the shares in turn, as on a line."""
    total = 0.0
    for share, data, verdict in shapes:
        total += share
        if point < total:
            return data, verdict
    return shapes[-1][1], shapes[-1][2]


def fill(url: str, count: int, settings: Settings) -> None:
    """`count` screenings in the shapes' shares, in chunks of CHUNK per transaction; a tenth of held decided."""
    shapes = verdicts(load_context(settings))
    print("verdicts of the shapes:", ", ".join(verdict.verdict.value for _, _, verdict in shapes))
    stamp, engine = stamp_of(settings), make_engine(url)
    upgrade(engine)
    started, number = time.perf_counter(), 0
    while number < count:
        rows, decide = [], []
        for _ in range(min(CHUNK, count - number)):
            data, verdict = shape_of(shapes, (number * 7919) % 1000 / 1000)
            reference = f"SO-{number:06d}"
            row = new_screening(declaration={**data, "reference": reference},
                                verdict=verdict.model_copy(update={"reference": reference}), stamp=stamp,
                                caller_key_id="bench", request_id="bench")
            row.values["screened_at"] = now() - timedelta(minutes=(count - number) * 2)
            rows.append(row)
            if verdict.verdict.value != "clear" and number % 10 == 0:
                decide.append(row.id)
            number += 1
        with Session(engine) as session:
            add_screenings(session, rows)
            for screening_id in decide:
                add_decision(session, screening_id=screening_id, decision=DecisionKind.HOLD,
                             reason_code=ReasonCode.DIVERSION_RISK, note="bench", decided_by_key_id="bench",
                             decided_by_role="reviewer", request_id="bench")
            session.commit()
    print(f"filled {count:,} screenings in {time.perf_counter() - started:.1f} s")
    if engine.dialect.name == "postgresql":  # as autovacuum would have by the time a reviewer looks
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()


async def measure(settings: Settings, requests: int, rounds: int) -> None:
    """Sign in, then time each filter's queue page `requests` times per round."""
    app = create_app(settings)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        _, secret = create_key(session, Role.REVIEWER, "bench")
        session.commit()
    engine.dispose()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            form = await client.get("/review/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            signed = await client.post("/review/login", data={"api_key": secret, "csrf_token": token.group(1)})
            assert signed.status_code == 303, signed.text
            paths = await _paths(client)
            for round_number in range(1, rounds + 1):
                print(f"round {round_number}: load average {load_average()}")
                baseline = 0.0
                for path in ["/healthz", *paths]:
                    times, cpu = [], []
                    for _ in range(requests):
                        started, used = time.perf_counter(), time.process_time()
                        answer = await client.get(path)
                        cpu.append((time.process_time() - used) * 1000)
                        times.append((time.perf_counter() - started) * 1000)
                        assert answer.status_code == 200, (path, answer.status_code)
                    rows = answer.text.count('data-testid="queue-row"')
                    baseline = baseline or statistics.median(cpu)
                    print(f"  {path[:60]:<60} {rows:>3} rows  CPU median {statistics.median(cpu):5.1f} ms "
                          f"max {max(cpu):5.1f} ms  wall median {statistics.median(times):6.1f} ms "
                          f"max {max(times):6.1f} ms  CPU / healthz {statistics.median(cpu) / baseline:5.1f}")


async def _paths(client: httpx.AsyncClient) -> list[str]:
    """The filters, with the position of the first page's end for the second page."""
    first = (await client.get("/review/queue?order=newest")).text
    after = re.search(r'id="next-page" href="[^"]*after=([^"&]+)', first)
    values = {"rule": RULE, "list": LIST, "after": after.group(1) if after else "", "today": str(now().date()),
              "month_ago": str((now() - timedelta(days=30)).date())}
    return ["/review/queue" + template.format(**values) for template in FILTERS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenings", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url, schema = f"sqlite:///{directory}/bench.db", None
        if options.database == "postgresql":
            schema = f"bench_review_{secrets.token_hex(4)}"
            with make_engine(POSTGRES).begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}"
        settings = Settings(database_url=url, data_dir=Path(directory) / "var", migrate_on_start=False,
                            webhook_poll_seconds=0)
        try:
            fill(url, options.screenings, settings)
            asyncio.run(measure(settings, options.requests, options.rounds))
        finally:
            if schema is not None:
                with make_engine(POSTGRES).begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
