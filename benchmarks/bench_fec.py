"""FEC and CSV exports of one year of a 60-room hotel with a bar and a restaurant (issue 5).

Generation (PostgreSQL `INSERT … SELECT generate_series`, seconds not hours): 365 business
days; 45 of 60 rooms occupied each night (one folio line per room night, one folio per stay
of 3 nights, paid by card); 900 bar/restaurant tickets a day of 3 lines each (food 10 %,
soft drinks 10 %, alcohol 20 %), paid cash or card — about 1.0 million ticket lines, 330,000
payments, 16,000 room nights. Rows are consistent with what the exporters read (tickets,
ticket lines, folio lines, payments, all with business dates).

Then each export runs in a child process streaming to a file, and we report the child's
peak resident memory (getrusage ru_maxrss) and lines/s. The FEC has one balanced entry per
journal and day (Z-type entries, docs/accounting.md), so its line count is small although it
reads the million document lines; the CSV has one row per document line (≥ 1 million)."""

import json
import subprocess
import time

from benchmarks import harness

DAYS = 365
ROOMS_OCCUPIED = 45
TICKETS_PER_DAY = 900
LINES_PER_TICKET = 3

CHILD = r"""
import json, resource, sys, time
from datetime import date
from benchmarks import harness
harness.setup_django()
from core.models import Property
from billing.services.fec import csv_rows, fec_rows, stream_lines
kind, start, end = sys.argv[1], date.fromisoformat(sys.argv[2]), date.fromisoformat(sys.argv[3])
prop = Property.objects.get(slug="bench-fec")
rows = fec_rows if kind == "fec" else csv_rows
started = time.perf_counter()
lines = 0
with open(sys.argv[4], "w", encoding="utf-8", newline="") as out:
    for text in stream_lines(rows(property=prop, start=start, end=end),
                             delimiter="\t" if kind == "fec" else ";"):
        out.write(text)
        lines += 1
elapsed = time.perf_counter() - started
print(json.dumps({"lines": lines, "seconds": elapsed,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def generate() -> dict:
    harness.reset_database()
    harness.setup_django()
    from datetime import date

    from django.db import connection

    from core.models import Property
    from tests.factories.core import PropertyFactory, make_staff

    prop = PropertyFactory(name="Hôtel Bench", slug="bench-fec", siret="12345678900012")
    user = make_staff(prop, "manager", username="bench")
    start = date(2025, 1, 1)
    params = {"p": prop.pk, "u": user.pk, "start": start, "days": DAYS}
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO billing_ticket (created_at, updated_at, property_id, public_id, number,
              business_date, status, outlet, terminal, cashier_id, total, total_vat, tip, currency)
            SELECT %(start)s::timestamptz + (d || ' days')::interval + interval '12 hours',
                   now(), %(p)s, gen_random_uuid(), d * %(t)s + k + 1,
                   %(start)s::date + d, 'paid',
                   CASE WHEN k %% 2 = 0 THEN 'Bar' ELSE 'Restaurant' END, 'Caisse 1', %(u)s,
                   31.00, 4.33, 0, 'EUR'
            FROM generate_series(0, %(days)s - 1) d, generate_series(0, %(t)s - 1) k
            """,
            {**params, "t": TICKETS_PER_DAY},
        )
        cur.execute(
            """
            INSERT INTO billing_ticketline (description, quantity, unit_price, total, vat_rate,
              vat_amount, net, revenue_category, applied_rule, ticket_id, modifiers, discount)
            SELECT x.description, 1, x.total, x.total, x.rate, x.vat, x.total - x.vat,
                   x.category, '', t.id, '[]'::jsonb, 0
            FROM billing_ticket t,
                 (VALUES ('Plat du jour', 16.00, 10.00, 1.45, 'food'),
                         ('Limonade', 5.00, 10.00, 0.45, 'drinks'),
                         ('Verre de vin', 10.00, 20.00, 1.67, 'alcohol')) AS
                   x(description, total, rate, vat, category)
            WHERE t.property_id = %(p)s
            """,
            params,
        )
        cur.execute(
            """
            INSERT INTO billing_payment (property_id, method, amount, tendered, change,
              terminal_reference, ticket_id, business_date, terminal, created_by_id, created_at)
            SELECT %(p)s, CASE WHEN t.number %% 3 = 0 THEN 'cash' ELSE 'card' END, t.total,
                   CASE WHEN t.number %% 3 = 0 THEN t.total END, 0,
                   CASE WHEN t.number %% 3 = 0 THEN '' ELSE 'TPE-' || t.number END,
                   t.id, t.business_date, 'Caisse 1', %(u)s, t.created_at
            FROM billing_ticket t WHERE t.property_id = %(p)s
            """,
            params,
        )
        # stays of 3 nights: one folio per (room, 3-day block), one line per night
        cur.execute(
            """
            INSERT INTO billing_folio (created_at, updated_at, property_id, public_id,
              holder_name, status, currency, left_open_reason)
            SELECT now(), now(), %(p)s, gen_random_uuid(), 'Stay ' || r || '-' || b, 'settled',
                   'EUR', ''
            FROM generate_series(0, %(rooms)s - 1) r, generate_series(0, %(days)s / 3) b
            """,
            {**params, "rooms": ROOMS_OCCUPIED},
        )
        cur.execute(
            """
            INSERT INTO billing_folioline (description, quantity, unit_price, total, vat_rate,
              vat_amount, net, revenue_category, applied_rule, folio_id, business_date,
              service_date, source, terminal, created_at)
            SELECT 'Nuit chambre', 1, 110.00, 110.00, 10.00, 10.00, 100.00, 'accommodation',
                   '', f.id, %(start)s::date + (b * 3 + n), %(start)s::date + (b * 3 + n),
                   'night:' || (b * 3 + n), '', now()
            FROM (SELECT id, split_part(split_part(holder_name, ' ', 2), '-', 2)::int AS b
                  FROM billing_folio WHERE property_id = %(p)s) f, generate_series(0, 2) n
            WHERE b * 3 + n < %(days)s
            """,
            params,
        )
        cur.execute(
            """
            INSERT INTO billing_payment (property_id, method, amount, tendered, change,
              terminal_reference, folio_id, business_date, terminal, created_by_id, created_at)
            SELECT %(p)s, 'card', sum(l.total), NULL, 0, 'TPE-F' || l.folio_id, l.folio_id,
                   max(l.business_date), 'Réception', %(u)s, now()
            FROM billing_folioline l JOIN billing_folio f ON f.id = l.folio_id
            WHERE f.property_id = %(p)s GROUP BY l.folio_id
            """,
            params,
        )
        cur.execute("ANALYZE")
        counts = {}
        for table in ("billing_ticketline", "billing_payment", "billing_folioline"):
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed table names)
            counts[table] = cur.fetchone()[0]
    connection.close()
    assert Property.objects.filter(slug="bench-fec").exists()
    return {
        "start": start,
        "generation_seconds": round(time.perf_counter() - started, 1),
        "rows": counts,
    }


def export(kind: str, start, end) -> dict:
    out = harness.ROOT / "var" / f"bench-{kind}.out"
    out.parent.mkdir(exist_ok=True)
    proc = subprocess.run(
        [harness.PY, "-c", CHILD, kind, start.isoformat(), end.isoformat(), str(out)],
        cwd=harness.ROOT,
        env=harness.bench_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["bytes"] = out.stat().st_size
    out.unlink()
    result["lines_per_second"] = round(result["lines"] / result["seconds"])
    result["seconds"] = round(result["seconds"], 1)
    result["maxrss_mb"] = round(result["maxrss_mb"], 1)
    return result


def main() -> None:
    from datetime import timedelta

    data = generate()
    start = data["start"]
    end = start + timedelta(days=DAYS)
    source_lines = sum(data["rows"].values())
    fec = export("fec", start, end)
    csv = export("csv", start, end)
    fec_source_rate = round(source_lines / fec["seconds"]) if fec["seconds"] else 0
    harness.write_results(
        "fec",
        {**data, "source_lines": source_lines, "fec": fec, "csv": csv},
        [
            (
                "document lines generated (ticket lines + payments + room nights)",
                f"{source_lines:,} in {data['generation_seconds']} s",
                "≥ 1,000,000",
            ),
            (
                "FEC of the year: peak memory (child process maxrss)",
                f"**{fec['maxrss_mb']} MB**",
                "< 200 MB",
            ),
            (
                "FEC of the year: time, lines",
                f"{fec['seconds']} s, {fec['lines']:,} lines "
                f"({fec_source_rate:,} document lines read/s)",
                "reported",
            ),
            ("CSV of document lines: peak memory", f"**{csv['maxrss_mb']} MB**", "< 200 MB"),
            (
                "CSV of document lines: lines/s",
                f"{csv['lines_per_second']:,} lines/s ({csv['lines']:,} lines, {csv['seconds']} s)",
                "reported",
            ),
        ],
    )


if __name__ == "__main__":
    main()
