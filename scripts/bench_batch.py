"""Benchmark: 1,000,000 generated CSV rows screened through `export-screen batch` with the OFAC 2021 list.

Generates a realistic ERP export (1-5 line items per shipment, a pool of repeated consignees, some RU/TR/CN
destinations, Common High Priority List codes, control numbers, freight forwarders, a few OFAC-listed
names and about 0.5% bad rows), imports the OFAC list into a temporary EXPORT_SCREEN_DATA_DIR, runs the
CLI as a subprocess and samples the resident memory of the whole process tree (the CLI and its workers)
from /proc every 100 ms. Each round runs the file with the pool of workers, then in one process (the
baseline: the pool's gain over it is the figure that holds on a busy machine). Prints a Markdown table.

    .venv/bin/python scripts/bench_batch.py --rows 1000000 --workers 2 --rounds 3
    .venv/bin/python scripts/bench_batch.py --rows 100000 --api    # also as a job through POST /v1/batches
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from rounds import load_average, span

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CLI = ROOT / ".venv" / "bin" / "export-screen"
HEADER = [
    "reference", "export_date", "consignee_name", "consignee_address", "consignee_country", "end_user_name",
    "end_user_country", "destination_country", "transit_countries", "hs_code", "eccn", "description", "quantity",
    "unit_value", "currency", "end_use", "freight_forwarder_name", "freight_forwarder_country",
]
DESTINATIONS = ["DE"] * 14 + ["US"] * 12 + ["JP"] * 10 + ["VN"] * 6 + ["NL", "FR", "GB", "KR", "SG", "MY", "TH", "IN",
                "MX", "BR", "AU", "CA", "IT", "ES", "PL"] * 2 + ["CN"] * 10 + ["HK"] * 4 + ["RU"] * 5 + ["TR"] * 5 + [
                "AE"] * 3 + ["KZ"] * 2 + ["BY", "AM", "GE", "KG", "UZ"]
NEUTRAL_HS = ["940360", "940171", "392690", "610910", "732690", "401110", "950300", "847330", "848180", "870899",
              "8471.30.00", "73181500003", "39269090900"]
CHPL_HS = ["854231", "854232", "854239", "851762", "852691", "847150", "901380", "854140", "853221", "84571000"]
ECCNS = ["", "", "", "", "", "", "EAR99", "5A992", "3A991", "3A001", "4A994", "2B991"]
WORDS = ["Precision", "Machinery", "Electronics", "Industrial", "Components", "Systems", "Tools", "Global", "Nordic",
         "Pacific", "Alpine", "Delta", "Orion", "Vega", "Atlas", "Sigma", "Kessler", "Hansen", "Moreau", "Tanaka"]
FORMS = ["GmbH", "Ltd.", "LLC", "Co., Ltd.", "S.A.", "B.V.", "Inc.", "OOO", "A.S.", "Pte. Ltd.", "K.K."]


def ofac_names(limit: int = 200) -> list[str]:
    """Entity names from the OFAC 2021 SDN list, so that some consignees really are listed."""
    names = []
    with (DATA / "ofac-sdn-2021" / "sdn.csv").open(encoding="latin-1", newline="") as stream:
        for row in csv.reader(stream):
            if len(row) > 2 and row[2].strip() == "-0-":
                names.append(row[1])
    return random.Random(7).sample(names, min(limit, len(names)))


def consignee_pool(rng: random.Random, size: int) -> list[tuple[str, str]]:
    """Repeated customers: (name, country), as ERP customer masters repeat them."""
    return [(f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(FORMS)}", rng.choice(DESTINATIONS))
            for _ in range(size)]


def generate(path: Path, rows: int, seed: int = 1) -> Counter[str]:
    """Write `rows` data rows; returns how many rows of each kind were generated."""
    rng = random.Random(seed)
    customers = consignee_pool(rng, 3000)
    listed = ofac_names()
    kinds: Counter[str] = Counter()
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        written, shipment = 0, 0
        while written < rows:
            shipment += 1
            lines = min(rng.randint(1, 5), rows - written)
            for row in shipment_rows(rng, shipment, lines, customers, listed, kinds):
                writer.writerow(row)
            written += lines
    return kinds


def shipment_rows(rng: random.Random, number: int, lines: int, customers: list[tuple[str, str]], listed: list[str],
                  kinds: Counter[str]) -> list[list[str]]:
    """The rows of one shipment: header fields on every row, one item per row."""
    roll = rng.random()
    if roll < 0.002:
        name, country = rng.choice(listed), rng.choice(["RU", "CN", "AE", "IR", "TR"])
        kinds["listed consignee"] += lines
    elif roll < 0.03:
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {number} {rng.choice(FORMS)}"
        country = rng.choice(DESTINATIONS)
        kinds["one-off consignee"] += lines
    else:
        name, country = rng.choice(customers)
    destination = country if rng.random() < 0.93 else rng.choice(DESTINATIONS)
    transit = rng.choice(["", "", "", "", "", "", "", "", "TR", "AE;KZ", "HK|CN"])
    forwarder = ("Swift Cargo Logistics FZE", "AE") if rng.random() < 0.1 else ("", "")
    end_user = (name, country) if rng.random() < 0.5 else ("", "")
    rows = []
    for _ in range(lines):
        hs = rng.choice(CHPL_HS) if rng.random() < 0.15 else rng.choice(NEUTRAL_HS)
        row = [f"SO-{number:08d}", "", name, f"{number % 500} Industrial Road", country, end_user[0],
               end_user[1], destination, transit, hs, rng.choice(ECCNS), "goods", str(rng.randint(1, 500)),
               f"{rng.uniform(1, 5000):.2f}", "USD", "", forwarder[0], forwarder[1]]
        bad = rng.random()
        if bad < 0.002:
            row[4], kinds["bad country"] = "Narnia", kinds["bad country"] + 1
        elif bad < 0.004:
            row[9], kinds["bad hs"] = "12", kinds["bad hs"] + 1
        elif bad < 0.005:
            row[2] = row[4] = ""  # missing required consignee on a shipment's only row or a conflicting value
            kinds["missing consignee"] += 1
        rows.append(row)
    return rows


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run a command; wall seconds, CPU seconds of the whole tree, peak tree RSS, its stdout."""
    peak = 0
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"command failed ({process.returncode}): {' '.join(command)}\n{out}\n{err}")
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return seconds, cpu, peak, out


def run_through_api(source: Path, work: Path) -> None:
    """POST the file to /v1/batches (app in-process, SQLite) and poll until the job ends; every shipment audited."""
    import asyncio

    import httpx
    from sqlmodel import Session

    from service.api.app import create_app
    from service.settings import Settings
    from service.store.database import make_engine, upgrade
    from service.store.keys import Role, create_key

    database = work / "audit.db"
    settings = Settings(database_url=f"sqlite:///{database}", data_dir=work / "data", migrate_on_start=False)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with Session(engine) as session:
        _, key = create_key(session, Role.SCREENER, "bench")
        session.commit()

    async def submit_and_wait() -> None:
        app = create_app(settings)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
        ) as client:
            headers = {"Authorization": f"Bearer {key}"}
            started = time.perf_counter()
            with source.open("rb") as upload:
                job = (await client.post("/v1/batches", headers=headers, files={"file": ("orders.csv", upload)})).json()
            while job["status"] not in ("complete", "failed"):
                await asyncio.sleep(0.5)
                job = (await client.get(f"/v1/batches/{job['id']}", headers=headers)).json()
            seconds = time.perf_counter() - started
            size = database.stat().st_size / 2**20
            print(f"API job {job['status']} {job.get('error') or ''}: {job['rows_done']:,} rows in {seconds:.1f} s "
                  f"({job['rows_done'] / seconds:,.0f} rows/s); audit database {size:.0f} MiB")

    asyncio.run(submit_and_wait())


def measure(source: Path, result: Path, workers: int, env: dict[str, str], rows: int) -> dict[str, float]:
    """One `export-screen batch` run: wall and CPU seconds, rows/s, peak MiB of the process tree."""
    seconds, cpu, peak, _ = run_measured(
        [str(CLI), "batch", str(source), "-o", str(result), "--workers", str(workers)], env)
    with result.open(encoding="utf-8-sig", newline="") as stream:
        output_rows = sum(1 for _ in csv.reader(stream)) - 1
    assert output_rows == rows, f"{output_rows} output rows for {rows} input rows"
    return {"seconds": seconds, "cpu": cpu, "rows_per_s": rows / seconds, "peak_mib": peak / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="Rounds of the pool run and the one-process run.")
    parser.add_argument("--keep", type=Path, help="Work in this directory and keep the files.")
    parser.add_argument("--api", action="store_true", help="Also run the file as a job through POST /v1/batches.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        source, result = work / "orders.csv", work / "result.csv"
        started = time.perf_counter()
        kinds = generate(source, args.rows)
        print(f"generated {args.rows:,} rows ({source.stat().st_size / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - started:.1f} s: {dict(kinds)}")
        env = {**os.environ, "EXPORT_SCREEN_DATA_DIR": str(work / "data")}
        subprocess.run([str(CLI), "lists", "import", "--format", "ofac", str(DATA / "ofac-sdn-2021")], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        print()
        print("| round | load avg | rows/s, pool | peak MiB, pool | CPU s, pool | rows/s, one process "
              "| peak MiB, one process | pool / one process |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        rounds = []
        for number in range(1, args.rounds + 1):
            load = load_average()
            pool = measure(source, result, args.workers, env, args.rows)
            alone = measure(source, result, 1, env, args.rows)
            rounds.append((load, pool, alone))
            print(f"| {number} | {load:.2f} | {pool['rows_per_s']:,.0f} | {pool['peak_mib']:.0f} | {pool['cpu']:.0f} "
                  f"| {alone['rows_per_s']:,.0f} | {alone['peak_mib']:.0f} "
                  f"| {pool['rows_per_s'] / alone['rows_per_s']:.2f} |", flush=True)
        rates = [pool["rows_per_s"] for _, pool, _ in rounds]
        peaks = [pool["peak_mib"] for _, pool, _ in rounds]
        print()
        print(f"{args.rows:,} rows, {args.workers} workers, {args.rounds} rounds, load average "
              f"{span([load for load, _, _ in rounds], 2)} (other work on the machine competes for the cores)")
        print(f"- pool {span(rates)} rows/s: target >= 10,000 {'met' if min(rates) >= 10_000 else 'not met'}")
        print(f"- peak memory of the process tree {span(peaks)} MiB: target < 400 MiB "
              f"{'met' if max(peaks) < 400 else 'not met'}")
        gains = [pool["rows_per_s"] / alone["rows_per_s"] for _, pool, alone in rounds]
        print(f"- pool / one process {span(gains, 2)}")
        if args.api:
            os.environ["EXPORT_SCREEN_DATA_DIR"] = str(work / "data")
            run_through_api(source, work)


if __name__ == "__main__":
    main()
