"""A Caisse-AP over IP card terminal on 127.0.0.1, for the tests: it reads the till's
message (TAG + 3-digit LEN + VALUE fields, CZ first), checks it like a terminal would, and
answers what the test scripted — approved, refused, abandoned, a bad request — after an
optional delay (a cardholder slow to type the PIN: the till may give up before).

Written from the protocol's description (REFERENCE §11), not from the driver under test."""

import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

REQUIRED = ("CZ", "CJ", "CA", "CB", "CD", "CE")


def _fields(text: str) -> dict[str, str] | None:
    out, i = {}, 0
    while i < len(text):
        if len(text) - i < 5:
            return None
        tag, size = text[i : i + 2], text[i + 2 : i + 5]
        if not size.isdigit():
            raise ValueError(text)
        value = text[i + 5 : i + 5 + int(size)]
        if len(value) < int(size):
            return None
        out[tag] = value
        i += 5 + int(size)
    return out


def _frame(**tags: str) -> bytes:
    return "".join(f"{t}{len(v):03d}{v}" for t, v in tags.items()).encode("ascii")


@dataclass
class Script:
    """What the terminal does with the next request."""

    outcome: str = "approve"  # approve, refuse, forbid, abandon, timeout, bad, close
    delay: float = 0.0
    authorisation: str = "A1B2C3"
    pan: str = "497010XXXXXX0042"  # what a terminal sends: already masked


@dataclass
class Simulator:
    host: str = "127.0.0.1"
    port: int = 0
    scripts: list[Script] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    answers: list[dict] = field(default_factory=list)

    def answer_for(self, request: dict[str, str] | None, script: Script) -> bytes:
        base = {"CZ": "0300", "CA": (request or {}).get("CA", "01")}
        valid = (
            request is not None
            and all(tag in request for tag in REQUIRED)
            and next(iter(request)) == "CZ"
            and request["CB"].isdigit()
            and 0 < int(request["CB"])
            and request["CD"] in ("0", "1")
        )
        if not valid or script.outcome == "bad":
            return _frame(**base, AE="01", AF="09")
        if script.outcome == "approve":
            return _frame(
                **base,
                AE="10",
                CB=request["CB"],
                CC="001",
                CI="1",
                AC=script.authorisation,
                AA=script.pan,
                AB="2812",
                CG="1234567",
            )
        code = {"refuse": "04", "forbid": "05", "timeout": "08", "abandon": "11"}[script.outcome]
        return _frame(**base, AE="01", AF=code)


@contextmanager
def running_simulator(*scripts: Script):
    sim = Simulator(scripts=list(scripts))
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    sim.port = server.getsockname()[1]
    stop = threading.Event()
    lock = threading.Lock()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            buffer, request = b"", None
            try:
                while True:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    buffer += chunk
                    try:
                        request = _fields(buffer.decode("ascii"))
                    except (ValueError, UnicodeDecodeError):
                        request = None
                        break
                    if request is not None and "BA" in request:
                        break
            except OSError:
                return
            with lock:
                sim.requests.append(request or {"raw": buffer})
                script = sim.scripts.pop(0) if sim.scripts else Script()
            time.sleep(script.delay)
            if script.outcome == "close":
                return
            answer = sim.answer_for(request, script)
            with lock:
                sim.answers.append(_fields(answer.decode()))
            try:
                conn.sendall(answer)
            except OSError:
                pass  # the till gave up and closed: a real terminal has charged by now

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sim
    finally:
        stop.set()
        thread.join(2)
        server.close()
