"""Benchmark: POST /v1/screenings over real HTTP on loopback, every screening recorded (issue 4 §6).

The script imports the OFAC 2021 list (about 21,000 names with aliases) as a snapshot into a temporary
data directory, creates a screener key, starts `export-screen serve` (uvicorn) on a fresh database, and
drives it with wrk (Debian package `wrk`) cycling through generated declarations (3 items, 3 parties;
about one in ten names taken from the list, so hits happen). Afterwards it counts the rows in the audit
table: every 201 answered must be a recorded screening.

    .venv/bin/python scripts/bench_api.py --database sqlite --workers 2 --duration 20
    .venv/bin/python scripts/bench_api.py --database postgresql --workers 2 --duration 20
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
OFAC = ROOT.parent / "shared" / "data" / "ofac-sdn-2021"
EXPORT_SCREEN = str(Path(sys.executable).parent / "export-screen")
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

COMPANIES = ["Sakura Precision KK", "Rhein Maschinenbau GmbH", "Anatolia Lojistik A.S.", "Almaty Trade LLP",
             "Shenzhen Bright Components Co., Ltd.", "Dubai Gulf Electronics FZE", "Volga Instruments OOO",
             "Minsk Tractor Parts JSC", "Pacific Rim Distributors Ltd", "Hanoi Electric JSC",
             "Seoul Semicon Co Ltd", "Chicago Industrial Supply Inc", "Tashkent Mashina LLC", "Yerevan Tech CJSC"]
COUNTRIES = ["JP", "DE", "TR", "KZ", "CN", "AE", "RU", "BY", "US", "VN", "KR", "UZ", "AM", "HK"]
ITEMS = [("940360", None), ("854231", "3A001"), ("847130", "5A992"), ("846229", None), ("391220", None),
         ("732690", None), ("852589", "5A991"), ("901380", None), ("8542", None), ("848210", None)]


def listed_names(limit: int) -> list[str]:
    """Some primary names from the OFAC list, so a share of the parties are hits."""
    with (OFAC / "sdn.csv").open(encoding="latin-1", newline="") as handle:
        names = [row[1] for row in csv.reader(handle) if len(row) > 2 and row[2].strip() == "-0-"]
    return random.Random(7).sample(names, limit)


def declarations(count: int) -> list[dict[str, Any]]:
    """Generated declarations: 3 items, consignee + end user + one further party."""
    rng = random.Random(42)
    hits = listed_names(50)

    def party() -> dict[str, str]:
        name = rng.choice(hits) if rng.random() < 0.1 else rng.choice(COMPANIES)
        return {"name": name, "country": rng.choice(COUNTRIES)}

    bodies = []
    for index in range(count):
        destination = rng.choice(COUNTRIES)
        items = [{"hs_code": code, **({"eccn": eccn} if eccn else {}), "description": "goods", "quantity": 5,
                  "unit_value": 100, "currency": "USD"} for code, eccn in rng.sample(ITEMS, 3)]
        bodies.append({
            "reference": f"SO-{index:06d}", "consignee": party(),
            "end_user": party(), "parties": [{**party(), "role": "freight_forwarder"}],
            "destination_country": destination, "items": items,
        })
    return bodies


def wrk_script(bodies: list[dict[str, Any]], key: str, path: Path) -> None:
    """A wrk Lua script that cycles through the bodies."""
    quoted = ",\n".join("[==[" + json.dumps(body) + "]==]" for body in bodies)
    path.write_text(
        f"local bodies = {{\n{quoted}\n}}\nlocal i = 0\n"
        'wrk.method = "POST"\n'
        f'wrk.headers["Authorization"] = "Bearer {key}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n  i = i % #bodies + 1\n"
        '  return wrk.format(nil, "/v1/screenings", nil, bodies[i])\nend\n',
        encoding="utf-8",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return done.stdout


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the server exited during start-up")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit("the server did not become ready")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of a process and its children (the uvicorn workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(stat.parent.name), int(fields[1])
        if root in (pid, parent):
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, latency percentiles (ms) and error counts from `wrk --latency` output."""
    def millis(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    result: dict[str, Any] = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}  # type: ignore[union-attr]
    for percentile in ("50", "75", "90", "99"):
        found = re.search(rf"^\s+{percentile}%\s+(\S+)", output, re.MULTILINE)
        result[f"p{percentile}_ms"] = round(millis(found.group(1)), 2) if found else None
    result["requests"] = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    errors = re.search(r"Socket errors: (.*)", output)
    result["socket_errors"] = errors.group(1) if errors else "none"
    return result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished children: the wrk runs
    return usage.ru_utime + usage.ru_stime


def database_url(kind: str, tmp: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", None
    schema = f"bench_{secrets.token_hex(4)}"
    with create_engine(POSTGRES).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str | None) -> None:
    if schema:
        with create_engine(POSTGRES).begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def recorded(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = int(connection.execute(text("SELECT count(*) FROM screenings")).scalar_one())
    engine.dispose()
    return count


def bench(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    url, schema = database_url(args.database, tmp)
    env = {**os.environ, "DATABASE_URL": url, "EXPORT_SCREEN_DATA_DIR": str(tmp / "var")}
    try:
        run([EXPORT_SCREEN, "lists", "import", "--format", "ofac", str(OFAC)], env)
        key = run([EXPORT_SCREEN, "keys", "create", "--role", "screener", "--name", "bench"], env).strip()
        wrk_script(declarations(args.bodies), key, tmp / "post.lua")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([EXPORT_SCREEN, "serve", "--port", str(port), "--workers", str(args.workers),
                                   "--no-access-log"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(base, server)
            wrk = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "--latency",
                   "-s", str(tmp / "post.lua")]
            run([*wrk, "-d", "3s", base], env)  # warm-up: caches, connections, first pages of the database
            before = recorded(url)
            cpu_before = (machine_busy_seconds(), tree_cpu_seconds(server.pid), _children_cpu())
            output = run([*wrk, "-d", f"{args.duration}s", base], env)
            cpu_after = (machine_busy_seconds(), tree_cpu_seconds(server.pid), _children_cpu())
            time.sleep(1)
            after = recorded(url)
        finally:
            server.terminate()
            server.wait(timeout=30)
        result = parse_wrk(output)
        busy, service, load_generator = (round(b - a, 1) for a, b in zip(cpu_before, cpu_after, strict=True))
        # What else ran on the two cores meanwhile (other work on the machine; for PostgreSQL runs also
        # the PostgreSQL server), so a reader can tell a quiet run from a crowded one.
        result["cpu_seconds"] = {"machine_busy": busy, "service": service, "wrk": load_generator,
                                 "everything_else": round(busy - service - load_generator, 1),
                                 "available": 2 * args.duration}
        result["recorded"] = after - before
        result["answered_201"] = result["requests"] - result["non_2xx"]
        return result
    finally:
        drop_schema(schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=20, help="Seconds of measured load.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (it shares the 2 cores).")
    parser.add_argument("--bodies", type=int, default=500, help="Distinct declarations cycled through.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        result = bench(args, Path(tmp))
    print(json.dumps({"database": args.database, "workers": args.workers, "connections": args.connections,
                      "duration_s": args.duration, **result}, indent=2))


if __name__ == "__main__":
    main()
