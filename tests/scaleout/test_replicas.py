"""Three `export-screen serve` replicas on one PostgreSQL database and one data directory behave as one
service: each batch job runs once (and is taken over when its replica is killed), each webhook is
delivered once, an Idempotency-Key records one screening whichever replicas it reaches, and a list
imported into the shared data directory reaches all three."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.api.test_batches import csv_bytes
from tests.batch.conftest import row
from tests.scaleout.conftest import Cluster, Process, blocked, headers, recorded, wait_for_job

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
OFAC_MINI = Path(__file__).resolve().parents[1] / "fixtures" / "ofac-mini"


@pytest.fixture(scope="module")
def replicas(cluster: Cluster) -> list[Process]:
    """Three replicas, each with its background work on, started together."""
    started = [cluster.serve(f"replica-{number}") for number in range(3)]
    cluster.wait_ready(*started)
    return started


def _submit(replica: Process, cluster: Cluster, name: str, rows: list[list[str]]) -> str:
    answer = httpx.post(f"{replica.url}/v1/batches", headers=headers(cluster), timeout=60,
                        files={"file": (name, csv_bytes(rows), "text/csv")})
    assert answer.status_code == 202, answer.text
    job_id: str = answer.json()["id"]
    return job_id


def test_concurrent_batch_jobs_each_run_once(cluster: Cluster, replicas: list[Process]) -> None:
    jobs = {}
    for number in range(6):  # two per replica, submitted together
        rows = [row(f"J{number}-{n:04d}") for n in range(700)]
        jobs[_submit(replicas[number % 3], cluster, f"orders-{number}.csv", rows)] = rows
    for job_id, rows in jobs.items():
        done = wait_for_job(replicas[0], cluster, job_id)
        assert done["status"] == "complete", done
        assert recorded(cluster, job_id) == {r[0]: 1 for r in rows}  # every row once, none twice
        result = httpx.get(f"{replicas[2].url}/v1/batches/{job_id}/result", headers=headers(cluster), timeout=60)
        assert result.status_code == 200 and result.text.count("\n") == len(rows) + 1  # from the shared data dir


def test_a_killed_replicas_job_is_taken_over_and_finished_once(cluster: Cluster, replicas: list[Process]) -> None:
    rows = [row(f"K-{n:05d}") for n in range(5000)]
    job_id = _submit(replicas[0], cluster, "big.csv", rows)
    deadline = time.monotonic() + 120
    while True:  # until the job is past its first committed chunk
        holder, committed = cluster.rows("SELECT lease_holder, rows_committed FROM batch_jobs WHERE id = :id",
                                         id=job_id)[0]
        if holder and committed >= 500:
            break
        assert time.monotonic() < deadline, "the job did not start"
        time.sleep(0.05)
    pid = int(holder.split(":")[1])
    (victim,) = [replica for replica in replicas if replica.popen.pid == pid]
    victim.kill()
    survivor = next(replica for replica in replicas if replica is not victim)
    done = wait_for_job(survivor, cluster, job_id, seconds=180)
    assert done["status"] == "complete" and done["rows_done"] == len(rows), done
    assert recorded(cluster, job_id) == {r[0]: 1 for r in rows}
    resumes, holder_after = cluster.rows("SELECT resumes, lease_holder FROM batch_jobs WHERE id = :id", id=job_id)[0]
    assert resumes >= 1 and holder_after is None
    replicas[replicas.index(victim)] = restarted = cluster.serve(f"{victim.name}-restarted")
    cluster.wait_ready(restarted)


class Receiver(ThreadingHTTPServer):
    """Counts the webhook deliveries it receives, by delivery id, and the events they carry."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.deliveries: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body: dict[str, Any] = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.deliveries[self.headers["webhook-id"]] += 1
            self.server.events[body["data"]["reference"]] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_each_webhook_is_delivered_once(cluster: Cluster, replicas: list[Process], receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    hook = httpx.post(f"{replicas[0].url}/v1/webhooks", json={"url": url, "events": ["screening.block"]},
                      headers=headers(cluster), timeout=30)
    assert hook.status_code == 201, hook.text
    references = [f"HOOK-{n}" for n in range(12)]
    for number, reference in enumerate(references):  # spread over the three replicas
        answer = httpx.post(f"{replicas[number % 3].url}/v1/screenings", json=blocked(reference),
                            headers=headers(cluster), timeout=30)
        assert answer.status_code == 201 and answer.json()["verdict"] == "block", answer.text
    deadline = time.monotonic() + 60
    while len(receiver.events) < len(references) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2.0)  # three dispatchers polling every 0.2 s: a second send would have come by now
    assert receiver.events == dict.fromkeys(references, 1)
    assert set(receiver.deliveries.values()) == {1} and len(receiver.deliveries) == len(references)


def test_one_idempotency_key_sent_to_two_replicas_records_one_screening(
    cluster: Cluster, replicas: list[Process]
) -> None:
    def send(replica: Process, reference: str, barrier: threading.Barrier) -> httpx.Response:
        barrier.wait()
        return httpx.post(f"{replica.url}/v1/screenings", json=blocked(reference), timeout=30,
                          headers=headers(cluster, **{"Idempotency-Key": f"key-{reference}"}))

    with ThreadPoolExecutor(max_workers=2) as pool:
        for number in range(10):
            reference, barrier = f"IDEM-{number}", threading.Barrier(2)
            answers = list(pool.map(lambda replica: send(replica, reference, barrier), replicas[:2]))  # noqa: B023
            assert [answer.status_code for answer in answers] == [201, 201], [a.text for a in answers]
            assert answers[0].json()["id"] == answers[1].json()["id"]  # the same screening, one replayed
            count = cluster.scalar("SELECT count(*) FROM screenings WHERE reference = :r", r=reference)
            assert count == 1, f"{reference} recorded {count} times"


def test_a_list_imported_into_the_shared_data_dir_reaches_every_replica(
    cluster: Cluster, replicas: list[Process]
) -> None:
    imported = cluster.cli("lists", "import", "--format", "ofac", str(OFAC_MINI))
    assert imported.returncode == 0, imported.stderr
    deadline = time.monotonic() + 60
    for replica in replicas:
        while True:
            ready = httpx.get(f"{replica.url}/readyz", timeout=10).json()
            if "ofac-sdn" in {entry["name"] for entry in ready.get("list_details", [])}:
                break
            assert time.monotonic() < deadline, f"{replica.name} did not load the imported list: {ready}"
            time.sleep(0.2)
