"""Reporting on a real PostgreSQL streaming replica (`DATABASE_REPLICA_URL`).

The test builds a throw-away primary cluster beside the test server (initdb, the test
database's schema copied in with pg_dump), takes a streaming replica of it with
pg_basebackup, and runs a Django process against the two: the dashboard's reads land on the
replica, its writes (the daily facts) on the primary, and the figures are those of the rows
written on the primary. Stopping the replica sends the dashboard back to the primary."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from glob import glob
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _bin(name: str) -> str:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name) or name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in a temporary directory, run as `postgres` when we are root
    (the server refuses to run as root)."""

    def __init__(self, base: Path, name: str):
        self.dir = base / name
        self.port = _free_port()
        self.socket_dir = base
        self.log = base / f"{name}.log"

    def run(self, *argv: str, **kw) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *argv], capture_output=True, text=True, **kw)
        if done.returncode:
            raise subprocess.CalledProcessError(
                done.returncode, argv, done.stdout, done.stderr[-2000:]
            )
        return done

    def __repr__(self) -> str:
        return f"Cluster({self.dir}, port {self.port})"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
        self.run(
            _bin("pg_ctl"), "-D", str(self.dir), "-l", str(self.log), "-o", options, "-w", "start"
        )

    def stop_argv(self) -> list[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return [*prefix, _bin("pg_ctl"), "-D", str(self.dir), "-m", "immediate", "-w", "stop"]

    def stop(self) -> None:
        self.run(*self.stop_argv())

    def url(self, db: str = "auberge") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"


@pytest.fixture
def primary_and_replica(db):
    # not under pytest's tmp_path: that is private to root, and the server runs as postgres
    base = Path(tempfile.mkdtemp(prefix="auberge-replica-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    primary, replica = Cluster(base, "primary"), Cluster(base, "replica")
    primary.run(
        _bin("initdb"),
        "-D",
        str(primary.dir),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
        "--no-instructions",
    )
    with open(primary.dir / "postgresql.conf", "a") as conf:
        conf.write("wal_level = replica\nmax_wal_senders = 4\nfsync = off\n")
    primary.start()
    started = [primary]
    try:
        primary.run(
            _bin("createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "auberge",
        )
        # the test database's schema and migration history, as `migrate` left them
        test_db = connection.settings_dict
        dump = subprocess.run(
            [
                _bin("pg_dump"),
                "-h",
                test_db["HOST"] or "127.0.0.1",
                "-p",
                str(test_db["PORT"] or 5432),
                "-U",
                test_db["USER"] or "postgres",
                "--no-owner",
                "--no-privileges",
                test_db["NAME"],
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        primary.run(
            _bin("psql"),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "auberge",
            input=dump,
        )
        primary.run(
            _bin("pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(replica.dir),
            "-R",
            "-X",
            "stream",
            "--no-sync",
            # an immediate checkpoint: the default spreads it over minutes of throttled writes
            "--checkpoint=fast",
        )
        replica.start()
        started.append(replica)
        yield primary, replica
    finally:
        for cluster in reversed(started):
            try:
                cluster.stop()
            except subprocess.CalledProcessError:
                pass  # already stopped by the test
        shutil.rmtree(base, ignore_errors=True)


def _probe(primary: Cluster, replica: Cluster) -> dict:
    var = Path(tempfile.mkdtemp(prefix="auberge-replica-var-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": primary.url(),
        "DATABASE_REPLICA_URL": replica.url(),
        "DATABASE_MIGRATE_URL": "",
        "REDIS_URL": "",
        "AUBERGE_VAR_DIR": str(var),
        "PYTHONPATH": str(ROOT),
        "REPLICA_STOP": json.dumps(replica.stop_argv()),
    }
    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "tests" / "reporting" / "replica_probe.py")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        shutil.rmtree(var, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _reads_facts(statements: list[str]) -> bool:
    return any(
        s.lstrip().upper().startswith("SELECT") and "reporting_roomfact" in s for s in statements
    )


def test_the_dashboard_reads_the_replica_then_the_primary_when_it_is_down(primary_and_replica):
    primary, replica = primary_and_replica
    result = _probe(primary, replica)
    up, down = result["up"], result["down"]
    assert up["status"] == 200
    assert up["replica_in_recovery"] is True
    # the month was written on the primary and is counted from the replica
    assert up["room_nights_sold"] == up["want_room_nights_sold"] > 0
    assert _reads_facts(up["replica_sql"])
    # the primary took the facts' refresh (a write) but not the dashboard's reads
    assert not _reads_facts(up["primary_sql"])
    # the replica stopped: the same page, the same figures, from the primary
    assert down["status"] == 200
    assert down["room_nights_sold"] == down["want_room_nights_sold"]
    assert _reads_facts(down["primary_sql"])
