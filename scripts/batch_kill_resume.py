"""Kill the server with SIGKILL in the middle of a batch job, start it again, and check the outcome.

    python scripts/batch_kill_resume.py [--rows 60000] [--kill-at 15000]

In a temporary data directory (SQLite): create a key, start `export-screen serve` on a loopback port,
submit a CSV file of ROWS one-row shipments, SIGKILL the server once KILL_AT rows are committed, check
that its batch worker processes are gone, start the server again and wait for the job to complete. It
prints what the job reported at the kill, how many audit rows the job has (each shipment once) and
whether the result file holds every row in order. Exit 0 if all holds.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "export-screen"
HEADER = ["reference", "export_date", "consignee", "consignee_country", "destination_country", "transit",
          "hs_code", "eccn", "description", "quantity", "value", "currency"]


def write_file(path: Path, rows: int) -> None:
    """ROWS shipments of one row each, with distinct references."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            writer.writerow([f"SO-{n:06d}", "2024-07-01", f"Kessler GmbH {n % 977}", "DE", "DE", "", "940360", "",
                             "chairs", "1", "10", "USD"])


def start(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start the server and wait until /readyz answers 200."""
    server = subprocess.Popen([str(BIN), "serve", "--port", str(port), "--workers", "1"], env=env,
                              stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not become ready; see {log}")


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(part) for part in out.split()]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def committed(database: Path, job_id: str) -> tuple[int, int, int]:
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT rows_done, rows_committed, chunks_committed FROM batch_jobs WHERE id = ?",
                                 (job_id,)).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--kill-at", type=int, default=15_000)
    parser.add_argument("--port", type=int, default=8761)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kill-resume-") as scratch:
        base = Path(scratch)
        env = {**os.environ, "EXPORT_SCREEN_DATA_DIR": str(base / "var")}
        env.pop("DATABASE_URL", None)
        database = base / "var" / "export-screen.db"
        subprocess.run([str(BIN), "db", "upgrade"], env=env, check=True, capture_output=True)
        created = subprocess.run([str(BIN), "keys", "create", "--role", "screener"], env=env, check=True,
                                 capture_output=True, text=True).stdout
        headers = {"Authorization": f"Bearer {created.split()[0]}"}
        upload = base / "orders.csv"
        write_file(upload, args.rows)
        server = start(args.port, env, base / "serve-1.log")
        started = time.monotonic()
        with upload.open("rb") as body:
            job_id = httpx.post(f"http://127.0.0.1:{args.port}/v1/batches", headers=headers, timeout=120,
                                files={"file": ("orders.csv", body, "text/csv")}).json()["id"]
        while committed(database, job_id)[1] < args.kill_at:
            time.sleep(0.1)
        workers = children(server.pid)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        time.sleep(3)
        done, rows, chunks = committed(database, job_id)
        left = [pid for pid in workers if alive(pid)]
        print(f"SIGKILL after {time.monotonic() - started:.1f} s: rows_done={done:,} rows_committed={rows:,} "
              f"chunks_committed={chunks}; child processes {len(workers)}, alive 3 s later: {len(left)}")
        restarted = time.monotonic()
        server = start(args.port, env, base / "serve-2.log")
        try:
            url = f"http://127.0.0.1:{args.port}/v1/batches/{job_id}"
            while (job := httpx.get(url, headers=headers, timeout=10).json())["status"] not in ("complete", "failed"):
                time.sleep(0.5)
            result = httpx.get(f"{url}/result", headers=headers, timeout=120).text.splitlines()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        with sqlite3.connect(database) as connection:
            total, distinct = connection.execute(
                "SELECT count(*), count(DISTINCT reference) FROM screenings WHERE request_id = ?",
                (f"batch:{job_id}",)).fetchone()
        in_order = [line.split(",")[0].lstrip("\ufeff") for line in result[1:]] == [
            f"SO-{n:06d}" for n in range(args.rows)]
        print(f"after the restart: {job['status']} in {time.monotonic() - restarted:.1f} s (start included); "
              f"audit rows {total:,}, distinct references {distinct:,} of {args.rows:,}; "
              f"result rows {len(result) - 1:,}, in order: {in_order}")
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        ok = job["status"] == "complete" and total == distinct == args.rows and in_order and not left
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
