"""A real gunicorn on 127.0.0.1, on the test database and the test Redis, for tests of what
happens in the web processes (not in the test process, where every module is imported).

The test using it needs `django_db(transaction=True)`: gunicorn reads what the test committed.
"""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Server:
    def __init__(self, url: str, process: subprocess.Popen, log: Path):
        self.url = url
        self.process = process
        self.log = log

    def session(self, **headers) -> requests.Session:
        session = requests.Session()
        session.headers.update({"Accept-Language": "en", **headers})
        return session

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextmanager
def running_gunicorn(tmp_path: Path, workers: int = 2, **extra_env: str):
    """gunicorn with the project's gunicorn.conf.py, `workers` sync workers, on a free port."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CONN_MAX_AGE": "0",
        "AUBERGE_TESTING": "1",
        "DJANGO_DEBUG": "False",
        "AUBERGE_ALLOW_INSECURE_KEY": "1",
        "AUBERGE_MANIFEST_STATIC": "0",
        "AUBERGE_VAR_DIR": str(tmp_path / "var"),
        **extra_env,
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {server.output()}")
            try:
                requests.get(f"{server.url}/healthz", timeout=10)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise AssertionError(f"gunicorn did not start: {server.output()}")
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def gunicorn_server(transactional_db, tmp_path):
    with running_gunicorn(tmp_path) as server:
        yield server


def wait_for(predicate, timeout: float = 30.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen in {timeout:.0f} s")
