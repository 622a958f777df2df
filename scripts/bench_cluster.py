"""Benchmark: the same generated CSV file on the local process pool and on a Dask cluster of as many workers.

Generates the file of scripts/bench_batch.py (OFAC 2021 list imported into a temporary data directory),
starts a `LocalCluster` (worker processes of one thread; the scheduler runs in this process), and in each
round runs `export-screen batch --workers N` and `export-screen batch --cluster ADDRESS` on the same file.
Before each cluster run the workers are restarted, so that both runs load rules and lists (the pool
does so every run). Reports rows/s, rows/s per worker, the CPU seconds of the coordinating command, of
the workers and of the scheduler, and the coordination overhead (cluster wall time over pool wall time).
Checks that both result files are identical. With `--audit URL` it measures instead how fast the
coordinating process records a batch job's screenings (one transaction per chunk) in that database.

    .venv/bin/python scripts/bench_cluster.py --rows 1000000 --workers 2 --rounds 3
    .venv/bin/python scripts/bench_cluster.py --audit sqlite:////tmp/audit.db --audit postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from bench_batch import CLI, DATA, generate, run_measured
from distributed import Client, LocalCluster
from rounds import load_average, span


def cpu_seconds() -> float:
    """CPU seconds of this process (user and system): the scheduler's share of a cluster run."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker_cpu() -> float:
    """Runs on each worker: its CPU seconds so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], env: dict[str, str], rows: int) -> dict[str, float]:
    seconds, cpu, peak, _ = run_measured(command, env)
    return {"seconds": seconds, "cpu": cpu, "rows_per_s": rows / seconds, "peak_mib": peak / 2**20}


def cluster_run(client: Client, address: str, source: Path, result: Path, env: dict[str, str],
                rows: int) -> dict[str, float]:
    """One cold run on the cluster: restart the workers, then screen; CPU of command, workers and scheduler."""
    client.restart()
    before_workers = sum(client.run(worker_cpu).values())
    before_scheduler = cpu_seconds()
    measured = run([str(CLI), "batch", str(source), "-o", str(result), "--cluster", address], env, rows)
    measured["scheduler_cpu"] = cpu_seconds() - before_scheduler
    measured["workers_cpu"] = sum(client.run(worker_cpu).values()) - before_workers
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--audit", action="append", default=[], metavar="URL",
                        help="Only measure the audit trail's write rate on this empty database (repeatable).")
    args = parser.parse_args()
    for url in args.audit:
        rates = []
        for _ in range(args.rounds):
            load = load_average()
            rates.append(audit_rate(url))
            print(f"load {load:.2f}: {rates[-1]:,.0f} screenings/s recorded, one commit per chunk", flush=True)
        print(f"{url.split(':')[0]}: {span(rates)} screenings/s")
    if args.audit:
        return
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as scratch:
        work = Path(scratch)
        source = work / "orders.csv"
        generate(source, args.rows)
        env = {**os.environ, "EXPORT_SCREEN_DATA_DIR": str(work / "data")}
        subprocess.run([str(CLI), "lists", "import", "--format", "ofac", str(DATA / "ofac-sdn-2021")], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                          worker_dashboard_address=None) as cluster, Client(cluster) as client:
            rounds = measure_rounds(client, cluster.scheduler_address, source, work, env, args)
        summarise(rounds, args)


def measure_rounds(client: Client, address: str, source: Path, work: Path, env: dict[str, str],
                   args: argparse.Namespace) -> list[tuple[float, dict[str, float], dict[str, float]]]:
    print("| round | load avg | rows/s, pool | rows/s, cluster | per worker, cluster | cluster ÷ pool wall "
          "| CPU s: command, pool | CPU s: command, cluster | CPU s: workers | CPU s: scheduler |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rounds = []
    for number in range(1, args.rounds + 1):
        load = load_average()
        pool_out, cluster_out = work / "pool.csv", work / "cluster.csv"
        pool = run([str(CLI), "batch", str(source), "-o", str(pool_out), "--workers", str(args.workers)], env,
                   args.rows)
        remote = cluster_run(client, address, source, cluster_out, env, args.rows)
        assert filecmp.cmp(pool_out, cluster_out, shallow=False), "the cluster's result differs from the pool's"
        rounds.append((load, pool, remote))
        print(f"| {number} | {load:.2f} | {pool['rows_per_s']:,.0f} | {remote['rows_per_s']:,.0f} "
              f"| {remote['rows_per_s'] / args.workers:,.0f} | {remote['seconds'] / pool['seconds']:.2f} "
              f"| {pool['cpu']:.0f} | {remote['cpu']:.0f} | {remote['workers_cpu']:.0f} "
              f"| {remote['scheduler_cpu']:.1f} |", flush=True)
    return rounds


def summarise(rounds: list[tuple[float, dict[str, float], dict[str, float]]], args: argparse.Namespace) -> None:
    tasks = args.rows / 500 / 4  # chunks of 500 rows, 4 chunks a task
    print()
    print(f"{args.rows:,} rows, {args.workers} workers, {args.rounds} rounds, load average "
          f"{span([load for load, _, _ in rounds], 2)}; result files identical in every round")
    print(f"- pool {span([p['rows_per_s'] for _, p, _ in rounds])} rows/s, cluster "
          f"{span([c['rows_per_s'] for _, _, c in rounds])} rows/s")
    print(f"- cluster wall ÷ pool wall {span([c['seconds'] / p['seconds'] for _, p, c in rounds], 2)}")
    print(f"- rows per worker CPU second {span([args.rows / c['workers_cpu'] for _, _, c in rounds])}")
    print(f"- coordinating command CPU s per 1,000 rows {span([1000 * c['cpu'] / args.rows for _, _, c in rounds], 3)}"
          f"; scheduler CPU ms per task {span([1000 * c['scheduler_cpu'] / tasks for _, _, c in rounds], 2)}")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"- measured {started}")


def audit_rate(url: str, chunks: int = 50, per_chunk: int = 170) -> float:
    """Screenings/s the coordinating process records: one transaction per chunk of a batch job (about 170
    shipments in 500 rows), as service.api.routers.batches does; `url` names an empty database."""
    import json

    from sqlmodel import Session

    from service.engine.declaration import Declaration
    from service.engine.screen import screen
    from service.runtime import load_context
    from service.settings import Settings
    from service.stamps import stamp_of
    from service.store.database import make_engine, upgrade
    from service.store.screenings import add_screenings, new_screening

    example = json.loads((Path(__file__).resolve().parent.parent / "docs/examples/declaration.json").read_text())
    declaration = Declaration.model_validate(example)
    with tempfile.TemporaryDirectory(prefix="bench-cluster-audit-") as scratch:
        settings = Settings(data_dir=Path(scratch), database_url=url)
        verdict = screen(declaration, load_context(settings))
    engine = make_engine(url)
    upgrade(engine)
    body, stamp = declaration.model_dump(mode="json"), stamp_of(settings)
    started = time.perf_counter()
    for chunk in range(chunks):
        rows = [new_screening(declaration=body, verdict=verdict.model_copy(update={"reference": f"SO-{chunk}-{n}"}),
                              stamp=stamp, caller_key_id="bench", request_id="batch:bench") for n in range(per_chunk)]
        with Session(engine) as session:
            add_screenings(session, rows)
            session.commit()
    seconds = time.perf_counter() - started
    engine.dispose()
    return chunks * per_chunk / seconds


if __name__ == "__main__":
    main()
