"""OTA-like iCal feeds, and a real HTTP server to serve them."""

import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def d(day: date) -> str:
    return f"{day:%Y%m%d}"


def calendar(prodid: str, events: list[str]) -> bytes:
    lines = ["BEGIN:VCALENDAR", f"PRODID:{prodid}", "CALSCALE:GREGORIAN", "VERSION:2.0"]
    body = "\r\n".join(lines) + "\r\n" + "".join(events) + "END:VCALENDAR\r\n"
    return body.encode()


def airbnb_reserved(uid: str, start: date, end: date, code: str = "HMABCDEF12") -> str:
    # the DESCRIPTION line is longer than 75 octets: folded as Airbnb does
    description = (
        f"DESCRIPTION:Reservation URL: https://www.airbnb.com/hosting/reservations/details/{code}"
        "\\nPhone Number (Last 4 Digits): 1234"
    )
    folded = "\r\n ".join(description[i : i + 74] for i in range(0, len(description), 74))
    return (
        "BEGIN:VEVENT\r\n"
        f"DTEND;VALUE=DATE:{d(end)}\r\n"
        f"DTSTART;VALUE=DATE:{d(start)}\r\n"
        f"UID:{uid}@airbnb.com\r\n"
        f"{folded}\r\n"
        "SUMMARY:Reserved\r\n"
        "END:VEVENT\r\n"
    )


def airbnb_not_available(uid: str, start: date, end: date) -> str:
    return (
        "BEGIN:VEVENT\r\n"
        f"DTEND;VALUE=DATE:{d(end)}\r\n"
        f"DTSTART;VALUE=DATE:{d(start)}\r\n"
        f"UID:{uid}@airbnb.com\r\n"
        "SUMMARY:Airbnb (Not available)\r\n"
        "END:VEVENT\r\n"
    )


def airbnb(*events: str) -> bytes:
    return calendar("-//Airbnb Inc//Hosting Calendar 1.0//EN", list(events))


def booking_closed(uid: str, start: date, end: date) -> str:
    return (
        "BEGIN:VEVENT\r\n"
        f"DTSTAMP:20261101T101010Z\r\n"
        f"DTSTART;VALUE=DATE:{d(start)}\r\n"
        f"DTEND;VALUE=DATE:{d(end)}\r\n"
        f"UID:{uid}\r\n"
        "SUMMARY:CLOSED - Not available\r\n"
        "END:VEVENT\r\n"
    )


def booking(*events: str) -> bytes:
    return calendar("-//Booking.com//Availability Calendar//EN", list(events))


def vrbo_reserved(uid: str, start: date, nights: int, name: str = "Marie") -> str:
    # some Vrbo fixtures give DURATION instead of DTEND
    return (
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\n"
        f"DTSTAMP:20261101T101010Z\r\n"
        f"DTSTART;VALUE=DATE:{d(start)}\r\n"
        f"DURATION:P{nights}D\r\n"
        f"SUMMARY:Reserved - {name}\r\n"
        "END:VEVENT\r\n"
    )


def vrbo_blocked(uid: str, start: date, end: date) -> str:
    return (
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\n"
        f"DTSTAMP:20261101T101010Z\r\n"
        f"DTSTART;VALUE=DATE:{d(start)}\r\n"
        f"DTEND;VALUE=DATE:{d(end)}\r\n"
        "SUMMARY:Blocked\r\n"
        "END:VEVENT\r\n"
    )


def vrbo(*events: str) -> bytes:
    return calendar("-//HomeAway.com, Inc.//EN", list(events))


class FeedServer:
    """A real HTTP server on 127.0.0.1: serve(path, body, status=200, delay=0, headers=None);
    `hits` the paths asked for, `hosts` the Host header of each request."""

    def __init__(self, tls=None):
        """`tls`: an ssl.SSLContext (server side) to serve HTTPS instead of HTTP."""
        self.routes: dict[str, tuple[int, bytes, float, dict]] = {}
        self.scheme = "https" if tls is not None else "http"
        self.hits: list[str] = []
        self.hosts: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.hits.append(self.path)
                server.hosts.append(self.headers.get("Host", ""))
                status, body, delay, headers = server.routes.get(
                    self.path, (404, b"not found", 0, {})
                )
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(
        self, path: str, body: bytes, status: int = 200, delay: float = 0, headers=None
    ) -> str:
        self.routes[path] = (status, body, delay, headers or {})
        return self.url(path)

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{self.scheme}://{host}:{port}{path}"

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
