"""iCal feeds (issue #6): a room-type feed with 2,000 events served warm (cached), cold (cache
dropped before each request) and as a conditional GET answered 304, under gunicorn +
PostgreSQL; feed parsing in events/s for 5,000 events; a full import (download from a real
HTTP server on 127.0.0.1, parse, one reservation per event through the PMS services).

Our export window is 30 days back and 730 ahead, so one room cannot hold 2,000 one-night
events without overlap: the served feed is the room type "classique" (10 rooms), and the full
import uses the nights one room can hold in the window."""

import http.server
import threading
import time
from datetime import timedelta

from benchmarks import harness

EVENTS = 2000


def prepare() -> dict:
    harness.reset_database()
    harness.manage("seed_demo")
    harness.setup_django()
    from django.db import transaction

    from channels_sync.services.feeds import feed_create
    from core.models import Property
    from crm.models import Guest
    from inventory.models import Channel
    from pms.models import Reservation, ReservationRoom, RoomType

    hotel = Property.objects.get(slug="les-pins")
    room_type = RoomType.objects.get(property=hotel, code="classique")
    guest = Guest.objects.create(organization=hotel.organization, last_name="Bench")
    start = hotel.business_date() + timedelta(days=61)  # after the demo's reservations
    with transaction.atomic():  # a benchmark fixture: rows written directly, fast
        reservations = Reservation.objects.bulk_create(
            [
                Reservation(
                    property=hotel,
                    reference=f"BENCH{i:05d}",
                    guest=guest,
                    channel=Channel.OTA,
                    arrival=start + timedelta(days=i // 10),
                    departure=start + timedelta(days=i // 10 + 1),
                    adults=2,
                )
                for i in range(EVENTS)
            ]
        )
        ReservationRoom.objects.bulk_create(
            [ReservationRoom(reservation=r, room_type=room_type, adults=2) for r in reservations]
        )
    feed = feed_create(property=hotel, channel_name="booking", room_type=room_type)
    return {"hotel": hotel, "token": feed.token}


def import_benchmark(hotel) -> dict:
    from channels_sync.services.imports import connection_create, connection_pull, parse_feed
    from pms.models import Room

    today = hotel.business_date()
    room = Room.objects.get(property=hotel, number="110")

    def calendar(n: int, first) -> bytes:
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN"]
        for i in range(n):
            day = first + timedelta(days=i)
            lines += [
                "BEGIN:VEVENT",
                f"UID:bench-{i}@ota.example",
                "SUMMARY:Reserved",
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
                "DTSTAMP:20261101T000000Z",
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
        return ("\r\n".join(lines) + "\r\n").encode()

    big = calendar(5000, today)
    t0 = time.perf_counter()
    parsed = parse_feed(big, tz=hotel.tz)
    parse_seconds = time.perf_counter() - t0

    # one room holds one event a night: the nights after the demo's stays, up to the window
    first = today + timedelta(days=61 + EVENTS // 10 + 5)
    nights = (today + timedelta(days=700) - first).days
    body = calendar(nights, first)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        connection = connection_create(
            property=hotel,
            room=room,
            kind="airbnb",
            allow_private_addresses=True,
            url=f"http://127.0.0.1:{server.server_address[1]}/room110.ics",
        )
        t0 = time.perf_counter()
        pull = connection_pull(connection=connection)
        import_seconds = time.perf_counter() - t0
    finally:
        server.shutdown()
    return {
        "parsed_events": len(parsed),
        "parse_seconds": round(parse_seconds, 3),
        "parse_events_per_second": round(len(parsed) / parse_seconds),
        "import_events": nights,
        "import_status": pull.status,
        "import_seconds": round(import_seconds, 2),
        "import_events_per_second": round(nights / import_seconds, 1),
    }


def main() -> None:
    ctx = prepare()
    path = f"/channels/ical/{ctx['token']}.ics"
    with harness.gunicorn(workers=2) as port:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path)
        first = conn.getresponse()
        payload = first.read()
        etag = first.getheader("ETag")
        events = payload.count(b"BEGIN:VEVENT")
        warm = harness.load(
            port, concurrency=1, duration=8, request=lambda c, i: harness.get_json(c, path, {})
        )
        conditional = harness.load(
            port,
            concurrency=1,
            duration=8,
            request=lambda c, i: harness.get_json(c, path, {"If-None-Match": etag}),
        )

        from django.core.cache import cache

        from channels_sync.services.feeds import calendar_version_bump

        def cold_request(c, i):
            calendar_version_bump(property_id=ctx["hotel"].pk)  # drop the cached feed
            return harness.get_json(c, path, {})

        cold = harness.load(
            port, concurrency=1, duration=10, request=cold_request, max_requests=200
        )
        cache.close()
    imported = import_benchmark(ctx["hotel"])
    harness.write_results(
        "ical",
        {
            "events_in_feed": events,
            "warm": warm,
            "cold": cold,
            "conditional_304": conditional,
            "import": imported,
        },
        [
            (
                f"room-type feed, {events} events, warm, p50",
                f"{warm['p50_ms']} ms ({warm['statuses']})",
                "< 20 ms",
            ),
            ("same feed, cold (cache dropped each time), p50", f"{cold['p50_ms']} ms", "< 200 ms"),
            (
                "conditional GET (If-None-Match), p50",
                f"{conditional['p50_ms']} ms ({conditional['statuses']})",
                "< 5 ms",
            ),
            ("parse a 5,000-event feed", f"{imported['parse_events_per_second']} events/s", "—"),
            (
                f"full import of {imported['import_events']} events into one room "
                "(download, parse, "
                "one reservation each)",
                f"{imported['import_events_per_second']} events/s ({imported['import_status']})",
                "reported",
            ),
        ],
    )
