"""Kill the replica running a batch job with SIGKILL and time the take-over by another replica.

    python scripts/replica_takeover.py [--replicas 3] [--rows 5000] [--rounds 3]

Needs the PostgreSQL server of TEST_POSTGRES_URL (as tests/scaleout does): in a database of its own
(`replicas_<random>`, dropped at the end) and one temporary data directory, it starts REPLICAS
`export-screen serve` processes with a lease of 4 s and a claim poll of 0.3 s, then, each round, submits
ROWS one-row shipments, kills the job's holder once 1,000 rows are committed, and prints how long the
take-over and the rest of the job took, and whether every row is in the audit trail exactly once. The
killed replica is started again for the next round. Exit 0 if every round holds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the scale-out tests' cluster helpers

from tests.api.test_batches import csv_bytes  # noqa: E402
from tests.batch.conftest import row  # noqa: E402
from tests.scaleout.conftest import Cluster, Process, headers, new_cluster, recorded, wait_for_job  # noqa: E402


def _job_state(cluster: Cluster, job_id: str) -> tuple[str | None, int, int]:
    holder, committed, resumes = cluster.rows(
        "SELECT lease_holder, rows_committed, resumes FROM batch_jobs WHERE id = :id", id=job_id)[0]
    return holder, committed, resumes


def one_round(cluster: Cluster, replicas: list[Process], number: int, rows: int) -> bool:
    """Submit, kill the holder past 1,000 committed rows, wait for the take-over and the end; print timings."""
    data = [row(f"T{number}-{n:06d}") for n in range(rows)]
    started = time.monotonic()
    answer = httpx.post(f"{replicas[0].url}/v1/batches", headers=headers(cluster), timeout=120,
                        files={"file": ("orders.csv", csv_bytes(data), "text/csv")})
    job_id = answer.json()["id"]
    while not ((state := _job_state(cluster, job_id))[0] and state[1] >= 1000):
        time.sleep(0.02)
    holder = state[0] or ""
    victim = next(replica for replica in replicas if replica.popen.pid == int(holder.split(":")[1]))
    victim.kill()
    killed = time.monotonic()
    while not _job_state(cluster, job_id)[2]:
        time.sleep(0.02)
    taken = time.monotonic()
    done = wait_for_job(next(replica for replica in replicas if replica is not victim), cluster, job_id, 600)
    ended = time.monotonic()
    once = recorded(cluster, job_id) == {r[0]: 1 for r in data}
    print(f"round {number + 1}: {state[1]:,} rows committed {killed - started:.1f} s after the upload; taken over "
          f"{taken - killed:.1f} s after the kill; {done['status']} {ended - killed:.1f} s after the kill; "
          f"every row recorded once: {'yes' if once else 'NO'}", flush=True)
    replicas[replicas.index(victim)] = again = cluster.serve(f"{victim.name}-again")
    cluster.wait_ready(again)
    return once and done["status"] == "complete"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="replicas-") as scratch, new_cluster(Path(scratch)) as cluster:
        replicas = [cluster.serve(f"replica-{n}") for n in range(args.replicas)]
        cluster.wait_ready(*replicas)
        held = [one_round(cluster, replicas, number, args.rows) for number in range(args.rounds)]
    return 0 if all(held) else 1


if __name__ == "__main__":
    sys.exit(main())
