"""The worker role: an API replica started with its background work off only serves; `export-screen worker`,
on the same database and data directory, runs the batch jobs submitted through it and dispatches the
webhook outbox, and answers its probes on a port of its own."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.api.test_batches import csv_bytes
from tests.batch.conftest import row
from tests.scaleout.conftest import Cluster, blocked, free_port, headers, recorded, wait_for_job

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_a_worker_runs_what_an_api_replica_without_background_work_accepted(cluster: Cluster) -> None:
    api = cluster.serve("api", "--no-background")
    cluster.wait_ready(api)
    rows = [row(f"W-{n:04d}") for n in range(800)]
    answer = httpx.post(f"{api.url}/v1/batches", headers=headers(cluster), timeout=60,
                        files={"file": ("orders.csv", csv_bytes(rows), "text/csv")})
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    screened = httpx.post(f"{api.url}/v1/screenings", json=blocked("W-BLOCK"), headers=headers(cluster), timeout=30)
    assert screened.status_code == 201 and screened.json()["verdict"] == "block"
    time.sleep(1.5)  # several claim polls of a process that would run it
    status, holder = cluster.rows("SELECT status, lease_holder FROM batch_jobs WHERE id = :id", id=job_id)[0]
    assert (status, holder) == ("queued", None)  # the API tier only serves
    assert cluster.scalar("SELECT count(*) FROM webhook_events WHERE dispatched_at IS NULL") >= 1

    port = free_port()
    worker = cluster.start("worker", "worker", "--port", str(port))
    worker.url = f"http://127.0.0.1:{port}"
    cluster.wait_ready(worker)  # its probes port: rules and lists loaded, the database answering
    assert httpx.get(f"{worker.url}/v1/batches", timeout=10).status_code == 404  # probes only, no API
    done = wait_for_job(api, cluster, job_id, seconds=180)
    assert done["status"] == "complete" and done["rows_done"] == len(rows), (done, worker.output())
    assert recorded(cluster, job_id) == {r[0]: 1 for r in rows}
    result = httpx.get(f"{api.url}/v1/batches/{job_id}/result", headers=headers(cluster), timeout=60)
    assert result.status_code == 200 and result.text.count("\n") == len(rows) + 1
    # the worker's dispatcher took the outbox's events too (no subscription: no delivery to make)
    deadline = time.monotonic() + 30
    while cluster.scalar("SELECT count(*) FROM webhook_events WHERE dispatched_at IS NULL"):
        assert time.monotonic() < deadline, worker.output()
        time.sleep(0.2)
    worker.popen.terminate()
    assert worker.popen.wait(timeout=60) == 0, worker.output()
