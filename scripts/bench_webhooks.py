"""Benchmark: what webhooks cost (the outbox row in each held screening's commit) and how fast they go out.

1. Outbox cost: append held (`block`) screenings one per transaction, as `POST /v1/screenings` does, with
   and without the outbox row (the event insert replaced by a no-op), on a fresh migrated database.
2. Dispatcher throughput: N events for one subscription, fanned out and delivered by one dispatcher
   (`run_once` in a loop, real httpx) to a threaded HTTP receiver on 127.0.0.1 answering 204; the
   baseline is N bare POSTs to the same receiver from as many threads.

Each is a ratio to its baseline in the same round (three rounds, with the load average): the figure
that holds on a busy machine.

    .venv/bin/python scripts/bench_webhooks.py --database sqlite --screenings 3000 --deliveries 2000
    .venv/bin/python scripts/bench_webhooks.py --database postgresql --screenings 3000 --deliveries 2000
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import httpx
from rounds import load_average, span
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from service.engine.verdict import Outcome, RulebookStamp, Verdict
from service.settings import Settings
from service.stamps import stamp_of
from service.store import screenings as screenings_store
from service.store.database import make_engine, upgrade
from service.store.outbox import EventType
from service.store.webhooks import DeliveryStatus, WebhookDelivery, add_subscription
from service.webhooks.dispatcher import SENDERS, WebhookDispatcher

STAMP = stamp_of(Settings())

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VERDICT = Verdict(reference="SO-B", verdict=Outcome.BLOCK, risk_score=100, findings=[],
                  rulebook=RulebookStamp(version="sha256:bench", as_of=date(2024, 1, 1)))
DECLARATION = {"reference": "SO-B", "destination_country": "RU", "items": [{"hs_code": "854231"}]}


@contextmanager
def database(kind: str) -> Iterator[Engine]:
    """A fresh migrated database: a SQLite file in a temporary directory, or a PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as scratch:
            engine = make_engine(f"sqlite:///{Path(scratch) / 'bench.db'}")
            upgrade(engine)
            yield engine
            engine.dispose()
        return
    admin = make_engine(POSTGRES)
    schema = f"bench_{secrets.token_hex(4)}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def record_held(engine: Engine, count: int) -> list[float]:
    """Seconds per commit of one held screening (built outside the transaction, as the API does)."""
    timings = []
    for _ in range(count):
        row = screenings_store.new_screening(declaration=DECLARATION, verdict=VERDICT, caller_key_id="bench",
                                             request_id="bench", stamp=STAMP)
        started = time.perf_counter()
        with Session(engine) as session:
            screenings_store.add_screenings(session, [row])
            session.commit()
        timings.append(time.perf_counter() - started)
    return timings


def outbox_cost(kind: str, count: int) -> float:
    """Commits/s of held screenings without and with the outbox row; returns with / without."""
    rates = []
    for label, patch in (("without outbox row", True), ("with outbox row", False)):
        with database(kind) as engine:
            record_held(engine, min(200, count))  # warm up connections and statement caches
            if patch:
                with mock.patch.object(screenings_store, "add_events", lambda *_: None):
                    timings = record_held(engine, count)
            else:
                timings = record_held(engine, count)
        timings.sort()
        rates.append(count / sum(timings))
        print(f"{kind} {label}: {count} commits, median {statistics.median(timings) * 1e6:.0f} us, "
              f"p99 {timings[int(len(timings) * 0.99)] * 1e6:.0f} us, {rates[-1]:,.0f} commits/s")
    return rates[1] / rates[0]


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a production receiver would

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def bare_posts(url: str, count: int) -> float:
    """POSTs/s to the receiver from 8 threads through one httpx client: the baseline of the dispatcher."""
    body = b'{"id": "bench"}'
    with httpx.Client(timeout=5) as client, ThreadPoolExecutor(max_workers=SENDERS) as senders:
        started = time.perf_counter()
        for _ in senders.map(lambda _: client.post(url, content=body).raise_for_status(), range(count)):
            pass
        return count / (time.perf_counter() - started)


def dispatch_throughput(kind: str, count: int) -> float:
    """Deliveries/s of the dispatcher; returns that as a share of bare POSTs/s to the same receiver."""
    ThreadingHTTPServer.request_queue_size = 128  # the default 5 drops SYNs of 8 concurrent senders (1 s retry)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    bare = bare_posts(f"http://127.0.0.1:{httpd.server_address[1]}/hook", count)
    with database(kind) as engine:
        with Session(engine) as session:
            add_subscription(session, url=f"http://127.0.0.1:{httpd.server_address[1]}/hook",
                             events=[EventType.SCREENING_BLOCK], description=None, created_by_key_id="bench")
            session.commit()
        record_held(engine, count)
        # (the receiver is on this machine: receivers inside the network must be allowed, see receivers.py)
        dispatcher = WebhookDispatcher(engine, Settings(webhook_timeout=5, webhook_private_receivers=True))
        started = time.perf_counter()
        while dispatcher.run_once() or dispatcher.dispatch_events():
            pass
        elapsed = time.perf_counter() - started
        dispatcher.stop()
        with Session(engine) as session:
            delivered = len(session.exec(select(WebhookDelivery.id).where(
                WebhookDelivery.status == DeliveryStatus.DELIVERED.value)).all())
    httpd.shutdown()
    httpd.server_close()
    print(f"{kind} dispatcher: {delivered} of {count} delivered in {elapsed:.2f} s = {delivered / elapsed:,.0f}/s; "
          f"bare POSTs to the same receiver {bare:,.0f}/s")
    return delivered / elapsed / bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--screenings", type=int, default=3000)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    outbox, dispatch, loads = [], [], []
    for number in range(1, args.rounds + 1):
        loads.append(load_average())
        print(f"round {number}, load average {loads[-1]:.2f}")
        outbox.append(outbox_cost(args.database, args.screenings))
        dispatch.append(dispatch_throughput(args.database, args.deliveries))
    print(f"{args.database}, {args.rounds} rounds, load average {span(loads, 2)}: commits/s with the outbox row as a "
          f"share of without {span(outbox, 2)}; dispatcher deliveries/s as a share of bare POSTs {span(dispatch, 2)}")


if __name__ == "__main__":
    main()
