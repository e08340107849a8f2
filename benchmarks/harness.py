"""Benchmark plumbing: a scratch PostgreSQL database, gunicorn on 127.0.0.1, a bounded load
generator with per-request latencies, and result files (JSON + markdown)."""

from __future__ import annotations

import http.client
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PY = sys.executable


# Two benchmarks running side by side (two checkouts of the project) each name their own.
BENCH_DATABASE_NAME = os.environ.get("BENCH_DATABASE_NAME", "auberge_bench")


def bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/auberge")
    parts = urlparse(base)
    return urlunparse(parts._replace(path=f"/{BENCH_DATABASE_NAME}"))


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=bench_database_url(),
        # its own Redis database: a test run flushing db 1 must not empty the bench caches
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        SECRET_KEY="bench-" + "x" * 40,
        DJANGO_DEBUG="False",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="False",
        SESSION_COOKIE_SECURE="False",
        CSRF_COOKIE_SECURE="False",
        SECURE_HSTS_SECONDS="0",
        AUBERGE_MANIFEST_STATIC="0",
        LOG_LEVEL="WARNING",
        CONN_MAX_AGE="600",
    )
    return env


def reset_database() -> None:
    """Drop and recreate the scratch database, then migrate it."""
    if "django" in sys.modules and sys.modules["django"].apps.apps.ready:
        from django.db import connections

        connections.close_all()  # a previous benchmark of this run still holds a connection
    url = urlparse(bench_database_url())
    admin = [
        "psql",
        "-h",
        url.hostname or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        "-d",
        "postgres",
        "-q",
        "-c",
    ]
    subprocess.run(
        [*admin, f"DROP DATABASE IF EXISTS {BENCH_DATABASE_NAME} WITH (FORCE)"], check=True
    )
    subprocess.run([*admin, f"CREATE DATABASE {BENCH_DATABASE_NAME}"], check=True)
    manage("migrate", "--noinput", "-v0")


def manage(*args: str) -> str:
    out = subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=bench_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def setup_django() -> None:
    os.environ.update(bench_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# port -> pid of the gunicorn master serving it (load() reports the server's CPU time)
_SERVERS: dict[int, int] = {}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stats() -> dict[int, tuple[str, int, float]]:
    """pid -> (command line, parent pid, CPU seconds used) for every process we may read."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        out[int(entry)] = (
            command,
            int(fields[1]),
            (int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
        )
    return out


def cpu_snapshot(server_pid: int | None) -> dict[str, float]:
    """CPU seconds used so far by this process (the load generator), the server's process
    tree and the PostgreSQL backends of the bench database (the web workers keep theirs for
    the whole run: CONN_MAX_AGE). WAL writer and checkpointer are not counted."""
    stats = _proc_stats()
    tree, frontier = set(), {server_pid} if server_pid else set()
    while frontier:
        tree |= frontier
        frontier = {pid for pid, (_, ppid, _) in stats.items() if ppid in frontier} - tree
    return {
        "generator": time.process_time(),
        "server": sum(stats[pid][2] for pid in tree if pid in stats),
        "postgres": sum(
            cpu
            for command, _, cpu in stats.values()
            if command.startswith("postgres:") and f" {BENCH_DATABASE_NAME} " in command
        ),
        "machine_load_1min": os.getloadavg()[0],
        **_machine_jiffies(),
    }


def _machine_jiffies() -> dict[str, float]:
    """All cores' time so far, busy and in all (/proc/stat's first line, in clock ticks):
    whether the cores were saturated during a run, whoever used them."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return {"machine_busy_ticks": sum(fields) - idle, "machine_all_ticks": sum(fields)}


@contextmanager
def gunicorn(
    workers: int = 2,
    threads: int = 1,
    access_log: str | None = None,
    start_timeout: float = 30,
    statics: bool = False,
    env: dict[str, str] | None = None,
):
    """gunicorn on 127.0.0.1. `access_log`: a file where each request is written as
    `<request line> <status> <microseconds in the worker>` (its server time).
    `start_timeout`: seconds to wait for /livez (a loaded machine needs more). `statics`:
    collect the static files first, so that whitenoise serves them (a browser benchmark).
    `env`: settings for this server only (two servers of one run compared)."""
    if statics:
        manage("collectstatic", "--noinput", "-v0")
    port = free_port()
    log_args = (
        ["--access-logfile", access_log, "--access-logformat", '"%(r)s" %(s)s %(D)s']
        if access_log
        else ["--access-logfile", "/dev/null"]
    )
    proc = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            *log_args,
        ],
        cwd=ROOT,
        env={**bench_env(), **(env or {})},
    )
    try:
        deadline = time.time() + start_timeout
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/livez")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        _SERVERS[port] = proc.pid
        yield port
    finally:
        _SERVERS.pop(port, None)
        proc.terminate()
        proc.wait(timeout=20)


def load(
    port: int,
    *,
    concurrency: int,
    duration: float,
    request,
    max_requests: int = 200_000,
    think: tuple[float, float] | None = None,
):
    """`concurrency` clients, each on a keep-alive connection, call `request(conn, i)` (which
    returns the HTTP status) until `duration` seconds pass. Bounded in time and count.
    `think` (mean, spread) seconds: each client waits uniformly mean ± spread between two
    requests (a till's cashier between two sales) instead of calling again at once; each
    client's first request comes at a random moment of the first pause."""
    rng = random.Random(28)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration
    counter = iter(range(max_requests))

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local_lat, local_status = [], {}
        if think is not None:
            # clients with think time start spread over one pause, as a steady state has
            # them: all asking in the same millisecond is a stampede, measured apart
            with lock:
                pause = rng.uniform(0.0, think[0] + think[1])
            time.sleep(pause)
        while time.perf_counter() < stop_at:
            try:
                i = next(counter)
            except StopIteration:
                break
            t0 = time.perf_counter()
            status = request(conn, i)
            local_lat.append(time.perf_counter() - t0)
            local_status[status] = local_status.get(status, 0) + 1
            if think is not None:
                with lock:
                    pause = rng.uniform(think[0] - think[1], think[0] + think[1])
                time.sleep(max(0.0, min(pause, stop_at - time.perf_counter())))
        conn.close()
        with lock:
            latencies.extend(local_lat)
            for k, v in local_status.items():
                statuses[k] = statuses.get(k, 0) + v

    before = cpu_snapshot(_SERVERS.get(port))
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    after = cpu_snapshot(_SERVERS.get(port))
    result = summarize(latencies, elapsed, statuses)
    # where the cores went: CPU ms per request in each party (the 1-minute load average shows
    # whether anything else was competing for them)
    n = max(result["requests"], 1)
    result["cpu_ms_per_request"] = {
        k: round((after[k] - before[k]) * 1000 / n, 2) for k in ("generator", "server", "postgres")
    }
    # what the request costs the machine serving it: the web workers and their database
    result["cpu_ms_per_request"]["server_and_postgres"] = round(
        result["cpu_ms_per_request"]["server"] + result["cpu_ms_per_request"]["postgres"], 2
    )
    all_ticks = after["machine_all_ticks"] - before["machine_all_ticks"]
    busy_ticks = after["machine_busy_ticks"] - before["machine_busy_ticks"]
    # the cores' busy share during the run (every process), and the whole machine's CPU per
    # request: below 100 % the requests waited on something other than a core (a row lock)
    result["machine_busy_percent"] = round(100 * busy_ticks / all_ticks, 1) if all_ticks else 0
    result["cpu_ms_per_request"]["whole_machine"] = round(
        busy_ticks * 1000 / os.sysconf("SC_CLK_TCK") / n, 2
    )
    result["machine_load_1min"] = {
        "before": round(before["machine_load_1min"], 2),
        "after": round(after["machine_load_1min"], 2),
    }
    return result


def summarize(latencies: list[float], elapsed: float, statuses: dict | None = None) -> dict:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {
        "requests": len(ordered),
        "seconds": round(elapsed, 2),
        "per_second": round(len(ordered) / elapsed, 1) if elapsed else 0,
        "p50_ms": round(pct(0.50), 2),
        "p99_ms": round(pct(0.99), 2),
        "mean_ms": round(statistics.mean(ordered) * 1000, 2) if ordered else 0,
        "statuses": statuses or {},
    }


def get_json(conn: http.client.HTTPConnection, path: str, headers: dict) -> int:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def post_json(conn: http.client.HTTPConnection, path: str, body: dict, headers: dict) -> int:
    conn.request(
        "POST", path, body=json.dumps(body), headers={**headers, "Content-Type": "application/json"}
    )
    response = conn.getresponse()
    response.read()
    return response.status


def write_results(name: str, data: dict, table: list[tuple[str, str, str]]) -> None:
    """Write results/<name>.json and results/<name>.md (metric | result | target)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        # the machine is shared: what else ran is part of the figures
        "load_average": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    (RESULTS / f"{name}.json").write_text(json.dumps({**meta, **data}, indent=2, default=str))
    lines = [
        f"# {name}",
        "",
        f"{meta['when']} — {meta['machine']} — load average (1/5/15 min) {meta['load_average']}",
        "",
        "| metric | result | target |",
        "|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in table]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
