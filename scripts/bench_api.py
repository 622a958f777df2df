"""Benchmark: POST /v1/screenings over real HTTP on loopback, every screening recorded, beside the floor.

The script imports the OFAC 2021 list (about 21,000 names with aliases) as a snapshot into a temporary
data directory. Each round then measures, one after the other on the same machine:

- the framework floor (scripts/api_floor.py): FastAPI + uvicorn with the same worker count, pydantic
  validation of a declaration-shaped body, one INSERT into the same kind of database, 201;
- `export-screen serve` warm: generated declarations (3 items, 3 parties; about one in ten names taken
  from the list, so hits happen) cycled, so party names repeat and the hit cache answers;
- the same server cold: a never-seen word in every party name of every request, so nothing is cached.

Load comes from wrk (Debian package `wrk`), after a 3 s warm-up each time. Every 201 must have left a
row (the audit trail, or the floor's table). The ratios to the floor of the same round are the figures
that hold on a shared machine; the absolute rates move with whatever else runs on the cores.

    .venv/bin/python scripts/bench_api.py --database sqlite
    .venv/bin/python scripts/bench_api.py --database postgresql   # TEST_POSTGRES_URL, or the local default
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
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from api_floor import create_floor_table
from rounds import load_average, span
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
OFAC = ROOT.parent / "shared" / "data" / "ofac-sdn-2021"
EXPORT_SCREEN = str(Path(sys.executable).parent / "export-screen")
UVICORN = str(Path(sys.executable).parent / "uvicorn")
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


COLD_LUA = """
local syllables = {"ka","lo","ve","tra","mar","zu","ri","del","sho","pe","qua","bri","no","ax","te","vos"}
local function word(number)
  local text = ""
  repeat
    text = text .. syllables[number % 16 + 1]
    number = math.floor(number / 16)
  until number == 0
  return text:sub(1, 1):upper() .. text:sub(2)
end
local made = 0
local function fresh() made = made + 1; return word(offset + made) end
"""


def wrk_script(bodies: list[dict[str, Any]], key: str, path: Path, *, cold: bool = False) -> None:
    """A wrk Lua script that cycles through the bodies; `cold` puts a never-seen word into every party
    name (a different one in each request: `wrk ... -- OFFSET` keeps a warm-up's words apart)."""
    if cold:
        bodies = [{**body, "consignee": _fresh(body["consignee"]), "end_user": _fresh(body["end_user"]),
                   "parties": [_fresh(party) for party in body["parties"]]} for body in bodies]
    quoted = ",\n".join("[==[" + json.dumps(body) + "]==]" for body in bodies)
    choose = 'bodies[i]:gsub("@@", fresh)' if cold else "bodies[i]"
    path.write_text(
        f"local bodies = {{\n{quoted}\n}}\nlocal i = 0\n"
        "offset = 0\nfunction init(args) offset = (base or 0) + tonumber(args[1] or 0) end\n"
        "local threads = 0\nfunction setup(thread) threads = threads + 1; thread:set('base', threads * 1e9) end\n"
        f"{COLD_LUA if cold else ''}"
        'wrk.method = "POST"\n'
        f'wrk.headers["Authorization"] = "Bearer {key}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n  i = i % #bodies + 1\n"
        f'  return wrk.format(nil, "/v1/screenings", nil, ({choose}))\nend\n',
        encoding="utf-8",
    )


def _fresh(party: dict[str, str]) -> dict[str, str]:
    return {**party, "name": f"@@ {party['name']}"}


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


def _stat_fields(stat: Path) -> list[str] | None:
    """The fields of a /proc stat file after the command name (None if the process or thread is gone)."""
    try:
        return stat.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _cpu(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _tree(root: int) -> Iterator[tuple[Path, list[str]]]:
    """The /proc directory and stat fields of a process and of its children (the uvicorn workers)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat_fields(stat)
        if fields is not None and root in (int(stat.parent.name), int(fields[1])):
            yield stat.parent, fields


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of a process and its children (threads that ended included)."""
    return sum(_cpu(fields) for _, fields in _tree(root))


def thread_cpu_seconds(root: int) -> dict[int, tuple[str, float]]:
    """CPU seconds of each thread of a process and its children, with its kind: a worker's event loop
    (its main thread), a thread that carries its name in the operating system (service/threadnames.py),
    or "other"."""
    threads: dict[int, tuple[str, float]] = {}
    for process, _ in _tree(root):
        for task in process.glob("task/[0-9]*"):
            fields = _stat_fields(task / "stat")
            try:
                name = (task / "comm").read_text().strip()
            except OSError:
                continue
            if fields is None:
                continue
            tid = int(task.name)
            kind = "event loop" if tid == int(process.name) else name if name in NAMED_THREADS else "other"
            threads[tid] = (kind, _cpu(fields))
    return threads


def cpu_by_kind(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds between two readings by kind of thread (a thread that ended meanwhile is left out)."""
    spent: dict[str, float] = {}
    for tid, (kind, seconds) in after.items():
        spent[kind] = spent.get(kind, 0.0) + seconds - before.get(tid, (kind, 0.0))[1]
    return {kind: round(seconds, 2) for kind, seconds in sorted(spent.items())}


def connection_spread(root: int, port: int) -> list[int]:
    """The established connections on `port` that each process of a server holds (its workers), most
    first: how the load generator's connections landed, which sets how evenly the cores are used."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                established.add(fields[9])  # (the socket's inode)
    spread = []
    for process, _ in _tree(root):
        held = 0
        for descriptor in process.glob("fd/*"):
            try:
                target = os.readlink(descriptor)
            except OSError:
                continue
            held += target.startswith("socket:[") and target[8:-1] in established
        if held:
            spread.append(held)
    return sorted(spread, reverse=True)


NAMED_THREADS = ("audit-writer", "wal-checkpoint", "webhook-dispatc", "reload-watcher", "batch-claimer")


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


def database_url(kind: str, tmp: Path, name: str) -> tuple[str, str | None]:
    """A fresh database: a new SQLite file, or a new PostgreSQL schema (returned, to drop afterwards)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'{name}-{secrets.token_hex(4)}.db'}", None
    schema = f"bench_{name}_{secrets.token_hex(4)}"
    with create_engine(POSTGRES).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str | None) -> None:
    if schema:
        with create_engine(POSTGRES).begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def recorded(url: str, table: str) -> int:
    """Rows in `table`: every 201 must have left one."""
    engine = create_engine(url)
    with engine.connect() as connection:
        count = int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    engine.dispose()
    return count


def measure(args: argparse.Namespace, base: str, script: Path, server: subprocess.Popen[bytes],
            env: dict[str, str], url: str) -> dict[str, Any]:
    """One measured wrk run after a 3 s warm-up; the rows it added to `table` and the CPU it took."""
    # The files written before (the list's import, the earlier runs' databases) go to disk first: the
    # kernel's writing them back otherwise fell into the next run and slowed its audit writer.
    os.sync()
    wrk = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "--latency", "-s", str(script)]
    run([*wrk, "-d", "3s", base, "--", "1000000"], env)  # warm-up: connections, caches, the database's pages
    before = recorded(url, script.stem)
    threads_before = thread_cpu_seconds(server.pid)
    cpu_before = (machine_busy_seconds(), tree_cpu_seconds(server.pid), _children_cpu())
    load = subprocess.Popen([*wrk, "-d", f"{args.duration}s", base], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(min(1.0, args.duration / 2))
    spread = connection_spread(server.pid, int(base.rsplit(":", 1)[1]))
    output, errors = load.communicate()
    if load.returncode != 0:
        sys.exit(f"wrk failed:\n{errors}")
    threads_after = thread_cpu_seconds(server.pid)
    cpu_after = (machine_busy_seconds(), tree_cpu_seconds(server.pid), _children_cpu())
    time.sleep(0.5)
    result = parse_wrk(output)
    busy, service, load_generator = (round(b - a, 1) for a, b in zip(cpu_before, cpu_after, strict=True))
    # What else ran on the two cores meanwhile (other work on the machine; for PostgreSQL runs also the
    # PostgreSQL server), so a reader can tell a quiet run from a crowded one.
    result["cpu_seconds"] = {"machine_busy": busy, "service": service, "wrk": load_generator,
                             "everything_else": round(busy - service - load_generator, 1),
                             "available": 2 * args.duration}
    result["service_cpu_by_thread"] = cpu_by_kind(threads_before, threads_after)
    result["connections_per_worker"] = spread
    result["recorded"] = recorded(url, script.stem) - before
    result["wal_mib"] = wal_mib(url)
    result["answered_201"] = result["requests"] - result["non_2xx"]
    if result["recorded"] < result["answered_201"]:
        sys.exit(f"{result['answered_201']} answers 201 but only {result['recorded']} rows recorded")
    return result


def wal_mib(url: str) -> float | None:
    """The size of a SQLite database's WAL file in MiB (None for PostgreSQL): under sustained load it stays
    a few MiB only if its checkpoints finish (service.store.database.make_engine)."""
    if not url.startswith("sqlite:///"):
        return None
    wal = Path(url.removeprefix("sqlite:///") + "-wal")
    return round(wal.stat().st_size / 2**20, 1) if wal.exists() else 0.0


def start_server(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server on a free port and wait until /readyz answers."""
    port = free_port()
    server = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
    except BaseException:
        stop(server)
        raise
    return server, base


def stop(server: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    """SIGTERM, as an operator stops a server. One that has not stopped `seconds` later is at fault: its
    whole process group (the workers too) is killed, and the run ends with that error."""
    server.terminate()
    try:
        server.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        raise RuntimeError(f"{server.args} did not stop within {seconds:.0f} s of SIGTERM") from None


def floor_run(args: argparse.Namespace, tmp: Path, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """The framework floor (scripts/api_floor.py) on a fresh database of the same kind."""
    url, schema = database_url(args.database, tmp, "floor")
    try:
        create_floor_table(url)
        wrk_script(bodies, "none", tmp / "floor_rows.lua")
        env = {**os.environ, "FLOOR_DATABASE_URL": url}
        server, base = start_server([UVICORN, "api_floor:create_floor_app", "--factory", "--app-dir",
                                     str(ROOT / "scripts"), "--workers", str(args.workers), "--no-access-log",
                                     "--log-level", "warning"], env)
        try:
            return measure(args, base, tmp / "floor_rows.lua", server, env, url)
        finally:
            stop(server)
    finally:
        drop_schema(schema)


def service_runs(args: argparse.Namespace, tmp: Path, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """`export-screen serve` on a fresh database: warm (the bodies cycled, party names seen before) then
    cold (a never-seen word in every party name, so no cached hit answers)."""
    url, schema = database_url(args.database, tmp, "service")
    env = {**os.environ, "DATABASE_URL": url, "EXPORT_SCREEN_DATA_DIR": str(tmp / "var")}
    try:
        key = run([EXPORT_SCREEN, "keys", "create", "--role", "screener", "--name", "bench"], env).strip()
        wrk_script(bodies, key, tmp / "screenings.lua")
        wrk_script(bodies, key, tmp / "cold" / "screenings.lua", cold=True)
        server, base = start_server([EXPORT_SCREEN, "serve", "--workers", str(args.workers), "--no-access-log"],
                                    env)
        try:
            warm = measure(args, base, tmp / "screenings.lua", server, env, url)
            cold = measure(args, base, tmp / "cold" / "screenings.lua", server, env, url)
        finally:
            stop(server)
        return {"warm": warm, "cold": cold}
    finally:
        drop_schema(schema)


def one_round(args: argparse.Namespace, tmp: Path, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """Floor, warm service and cold service one after the other, with the ratios between them."""
    load = load_average()
    floor = floor_run(args, tmp, bodies)
    service = service_runs(args, tmp, bodies)
    rate = {"floor": floor["requests_per_s"], "warm": service["warm"]["requests_per_s"],
            "cold": service["cold"]["requests_per_s"]}
    return {
        "load_average_1min": round(load, 2), "floor": floor, **service,
        "ratio": {"warm_to_floor": round(rate["warm"] / rate["floor"], 3),
                  "cold_to_floor": round(rate["cold"] / rate["floor"], 3),
                  "cold_to_warm": round(rate["cold"] / rate["warm"], 3)},
    }


def cpu_ms(measured: dict[str, Any]) -> float:
    """Milliseconds of the server's CPU per answered request."""
    return float(measured["cpu_seconds"]["service"]) * 1000 / max(int(measured["answered_201"]), 1)


def thread_ms(measured: dict[str, Any], name: str) -> float:
    """Milliseconds of one kind of the server's threads per answered request."""
    return float(measured["service_cpu_by_thread"].get(name, 0.0)) * 1000 / max(int(measured["answered_201"]), 1)


def _spread(measured: dict[str, Any]) -> str:
    return "-".join(str(held) for held in measured["connections_per_worker"])


def summary(rounds: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """A Markdown table of every round, then the ranges and the targets met or not."""
    lines = ["| round | load avg | floor/s | floor p99 ms | warm/s | warm p99 ms | cold/s | cold p99 ms "
             "| warm/floor | cold/floor | cold/warm | service CPU-s warm/cold "
             "| connections per worker floor/warm/cold |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for number, one in enumerate(rounds, 1):
        lines.append(
            f"| {number} | {one['load_average_1min']:.2f} | {one['floor']['requests_per_s']:,.0f} "
            f"| {one['floor']['p99_ms']} | {one['warm']['requests_per_s']:,.0f} | {one['warm']['p99_ms']} "
            f"| {one['cold']['requests_per_s']:,.0f} | {one['cold']['p99_ms']} | {one['ratio']['warm_to_floor']:.2f} "
            f"| {one['ratio']['cold_to_floor']:.2f} | {one['ratio']['cold_to_warm']:.2f} "
            f"| {one['warm']['cpu_seconds']['service']}/{one['cold']['cpu_seconds']['service']} "
            f"| {' / '.join(_spread(one[kind]) for kind in ('floor', 'warm', 'cold'))} |")
    ratios = {name: [one["ratio"][name] for one in rounds] for name in rounds[0]["ratio"]}
    p99 = [one[kind]["p99_ms"] for one in rounds for kind in ("warm", "cold")]
    verdict = {True: "met", False: "not met"}
    lines += [
        "",
        f"{args.database}, {args.workers} workers, {args.connections} connections, {args.duration} s per measurement, "
        f"{len(rounds)} rounds; load average {span([one['load_average_1min'] for one in rounds], 2)}",
        f"- service (warm) / floor {span(ratios['warm_to_floor'], 2)}: target >= 0.5 "
        f"{verdict[min(ratios['warm_to_floor']) >= 0.5]}",
        f"- service (cold) / floor {span(ratios['cold_to_floor'], 2)}",
        f"- cold / warm {span(ratios['cold_to_warm'], 2)}: target >= 0.7 {verdict[min(ratios['cold_to_warm']) >= 0.7]}",
        f"- service p99 {span(p99, 1)} ms: target < 50 ms {verdict[max(p99) < 50]}",
        "- CPU per request (ms; the server's processes, whichever share of the cores they got): "
        + ", ".join(f"{kind} {span([cpu_ms(one[kind]) for one in rounds], 2)}" for kind in ("floor", "warm", "cold")),
        *(["- the WAL file after each run (MiB): " + ", ".join(
            f"{kind} {span([one[kind]['wal_mib'] for one in rounds], 1)}" for kind in ("floor", "warm", "cold"))]
          if rounds[0]["warm"].get("wal_mib") is not None else []),
        *(f"- the service's CPU per request by thread, {kind} (ms): " + ", ".join(
            f"{name} {span([thread_ms(one[kind], name) for one in rounds], 3)}"
            for name in sorted({name for one in rounds for name in one[kind]["service_cpu_by_thread"]}))
          for kind in ("warm", "cold")),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="Seconds of each measured load.")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (it shares the 2 cores).")
    parser.add_argument("--bodies", type=int, default=500, help="Distinct declarations cycled through.")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds of floor, warm and cold.")
    parser.add_argument("--json", type=Path, help="Also write every figure to this file.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    bodies = declarations(args.bodies)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        (tmp / "cold").mkdir()
        env = {**os.environ, "EXPORT_SCREEN_DATA_DIR": str(tmp / "var"),
               "DATABASE_URL": f"sqlite:///{tmp / 'lists.db'}"}
        run([EXPORT_SCREEN, "lists", "import", "--format", "ofac", str(OFAC)], env)
        rounds = []
        for number in range(args.rounds):
            rounds.append(one_round(args, tmp, bodies))
            print(f"round {number + 1}: {json.dumps(rounds[-1]['ratio'])}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"database": args.database, "workers": args.workers,
                                         "connections": args.connections, "duration_s": args.duration,
                                         "rounds": rounds}, indent=2), encoding="utf-8")
    print(summary(rounds, args))


if __name__ == "__main__":
    main()
