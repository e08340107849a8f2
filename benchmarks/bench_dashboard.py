"""The manager's dashboard on one year of the FEC benchmark's hotel (issue 22).

Data: bench_fec's year (365 days, 900 bar/restaurant tickets a day of 3 lines, 45 of 60 rooms
sold each night as 3-night stays), plus what the dashboard also reads: the 60 rooms, one
reservation per stay folio (checked out, channel by turns), one guest; then
`manage.py reporting_rebuild` (the derived daily facts, timed). Then, in a child
process each (a new worker: its home page first, then the dashboard's first request is
"cold": statements never run on that connection, nothing cached), the dashboard page is
requested for yesterday, a month and the whole year; the next ten give the warm p50. The
query count of each range is reported (it must not change with the range)."""

import json
import statistics
import subprocess
import time

from benchmarks import bench_fec, harness

CHILD = r"""
import json, sys, time
from benchmarks import harness
harness.setup_django()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.contrib.auth import get_user_model
params = json.loads(sys.argv[1])
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(get_user_model().objects.get(username="bench"))
assert client.get("/").status_code == 200  # the worker's own start-up (URLs, templates) first
timings, queries = [], []
for i in range(11):
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/reporting/", params)
    timings.append(time.perf_counter() - started)
    queries.append(len(ctx.captured_queries))
    assert response.status_code == 200, response.status_code
print(json.dumps({"timings": timings, "queries": queries}))
"""


def prepare() -> dict:
    data = bench_fec.generate()
    harness.setup_django()
    from django.db import connection

    from core.models import Property
    from crm.models import Guest
    from tests.factories.stays import make_room

    prop = Property.objects.get(slug="bench-fec")
    guest = Guest.objects.create(organization=prop.organization, last_name="Bench")
    for number in range(1, 61):
        make_room(prop, f"{number:03d}")
    started = time.perf_counter()
    with connection.cursor() as cur:
        # one reservation per stay folio, over its nights, checked out at 10:xx
        cur.execute(
            """
            INSERT INTO pms_reservation (created_at, updated_at, property_id, public_id,
              reference, guest_id, status, channel, external_reference, arrival, departure,
              adults, children, notes, total_price, folio_id, checked_out_at, group_name,
              guarantee_note, policy)
            SELECT now(), now(), %(p)s, gen_random_uuid(), 'B' || f.id,
                   %(g)s, 'checked_out',
                   (ARRAY['front_desk', 'booking_engine', 'ota'])[1 + f.id %% 3], '',
                   min(l.service_date), max(l.service_date) + 1, 2, 0, '', sum(l.total), f.id,
                   (max(l.service_date) + 1)::timestamp + interval '9 hours'
                     + (f.id %% 120) * interval '1 minute', '', '', '{}'
            FROM billing_folio f JOIN billing_folioline l ON l.folio_id = f.id
            WHERE f.property_id = %(p)s GROUP BY f.id
            """,
            {"p": prop.pk, "g": guest.pk},
        )
        cur.execute("ANALYZE")
    connection.close()
    data["reservations_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    harness.manage("reporting_rebuild")
    data["facts_rebuild_seconds"] = round(time.perf_counter() - started, 1)
    return data


def measure(params: dict) -> dict:
    proc = subprocess.run(
        [harness.PY, "-c", CHILD, json.dumps(params)],
        cwd=harness.ROOT,
        env=harness.bench_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    timings = [t * 1000 for t in result["timings"]]
    return {
        "cold_ms": round(timings[0], 1),
        "warm_p50_ms": round(statistics.median(timings[1:]), 1),
        "queries": sorted(set(result["queries"][1:])),
    }


def main() -> None:
    data = prepare()
    start = data["start"]
    from datetime import timedelta

    last = start + timedelta(days=bench_fec.DAYS - 1)
    ranges = {
        "day": {"period": "custom", "start": last.isoformat(), "end": last.isoformat()},
        "month": {
            "period": "custom",
            "start": last.replace(day=1).isoformat(),
            "end": last.isoformat(),
        },
        "year": {"period": "custom", "start": start.isoformat(), "end": last.isoformat()},
    }
    results = {name: measure(params) for name, params in ranges.items()}
    harness.write_results(
        "dashboard",
        {**data, "ranges": results},
        [
            *[
                (
                    f"dashboard page, {name} (a year of the FEC benchmark's hotel): "
                    "warm p50 / cold",
                    f"**{r['warm_p50_ms']} ms** / {r['cold_ms']} ms",
                    "< 150 ms / < 1 s",
                )
                for name, r in results.items()
            ],
            (
                "`manage.py reporting_rebuild` of that year (derived daily facts)",
                f"{data['facts_rebuild_seconds']} s",
                "reported",
            ),
            (
                "queries per dashboard page (day, month, year)",
                ", ".join(str(r["queries"]) for r in results.values()),
                "the same whatever the range",
            ),
        ],
    )


if __name__ == "__main__":
    main()
