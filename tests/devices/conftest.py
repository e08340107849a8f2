import os
import socket
import threading
import tty
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories.devices import CashDrawerFactory, PrinterFactory

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "receipts"


@pytest.fixture
def write_artifact():
    """Write a plain-text receipt where a person can read it after the run."""

    def write(name: str, text: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        return path

    return write


class TcpListener:
    """A fake network printer on 127.0.0.1: accepts connections and keeps what it reads."""

    def __init__(self, port: int = 0, reply: bytes = b""):
        self.reply = reply
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                chunks = []
                while True:
                    try:
                        chunk = conn.recv(65536)
                    except TimeoutError:
                        break
                    if not chunk:
                        break
                    chunks.append(chunk)
                    if self.reply and chunk.startswith(b"\x10\x04"):
                        conn.sendall(self.reply)
                self.connections.append(b"".join(chunks))

    @property
    def received(self) -> bytes:
        return b"".join(self.connections)

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = threading.Event()
        for _ in range(int(timeout / 0.05)):
            if len(self.connections) >= count:
                return
            deadline.wait(0.05)
        raise AssertionError(f"expected {count} connection(s), got {len(self.connections)}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)
        self.sock.close()


@pytest.fixture
def listener():
    server = TcpListener()
    yield server
    server.close()


@pytest.fixture
def free_port():
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture
def pty_pair():
    """A pseudo-terminal: pyserial writes on the slave, the test reads the master."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


@pytest.fixture
def network_printer(hotel, listener):
    return PrinterFactory(
        property=hotel, code="bar", name="Bar", host="127.0.0.1", port=listener.port
    )


@pytest.fixture
def bar_drawer(network_printer):
    return CashDrawerFactory(printer=network_printer, name="Tiroir bar")


@pytest.fixture
def enqueued(db):
    """Run the on-commit callbacks of the test's (rolled back) transaction on demand and record
    the send tasks they enqueue, without a broker. A callback registered in a block that rolled
    back is dropped by Django, exactly as in production."""
    from unittest.mock import patch

    from django.db import connection

    from devices.tasks import print_job_send_task

    class Recorder:
        def __init__(self):
            self._ids: list[int] = []
            self._done = len(connection.run_on_commit)

        def _record(self, *, print_job_id):
            self._ids.append(print_job_id)

        @property
        def ids(self) -> list[int]:
            while self._done < len(connection.run_on_commit):
                _sids, func, _robust = connection.run_on_commit[self._done]
                self._done += 1
                func()
            return list(self._ids)

    recorder = Recorder()
    with patch.object(print_job_send_task, "delay", side_effect=recorder._record):
        yield recorder
