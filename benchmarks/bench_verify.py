"""Verifying one year of the benchmark hotel's fiscal record (issue 16).

The documents are the FEC benchmark's year (bench_fec.generate: ~328,500 tickets with ~1.0
million ticket lines, ~330,000 payments, room nights), plus each ticket's VAT rows. The
journal is then written as the services write it — one sealed receipt entry per ticket
(billing.services.seals, version 2) chained with its hash, a daily closure entry with its
Closure row and a signed checkpoint — streamed into PostgreSQL with COPY.

The verification (billing.services.verification.property_verify: chains, every document
recomputed against its seal, numbering, closures, head, checkpoints) runs in a child process,
which cuts the fiscal chain into one part per core, each walked by a process of its own; we
report the wall time, the CPU time of all those processes and the peak resident memory of the
largest (getrusage ru_maxrss). Targets: < 60 s and < 200 MB."""

import json
import os
import subprocess
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import psycopg

from benchmarks import bench_fec, harness

CHILD = r"""
import json, os, resource, sys, time
from benchmarks import harness
harness.setup_django()
from core.models import Property
from billing.services.verification import _parts, property_verify
prop = Property.objects.get(slug="bench-fec")
started, cpu = time.perf_counter(), time.process_time()
processes = int(os.environ.get("BENCH_VERIFY_PROCESSES") or 0) or None
result = property_verify(property=prop, processes=processes)
seconds = time.perf_counter() - started
parts = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parts' processes, if any
print(json.dumps({
    "seconds": seconds,
    "cpu_seconds": time.process_time() - cpu + parts.ru_utime + parts.ru_stime,
    "ok": result.ok,
    "problems": [str(p) for p in result.problems[:5]],
    "entries": sum(result.entries.values()),
    "sealed": result.sealed,
    "parts": len(_parts(prop, processes)),
    "maxrss_mb": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, parts.ru_maxrss) / 1024,
}))
"""


def entry_columns() -> tuple[str, ...]:
    """The journal's columns, as the verifier reads them ("pk" is the column "id")."""
    from billing.services.verification import _ENTRY_FIELDS

    return ("id", *_ENTRY_FIELDS[1:])


def seal_journal() -> dict:
    """Write the sealed, chained journal of the generated documents (as the services do)."""
    from django.db import connection
    from django.utils import timezone

    from billing.models import (
        Closure,
        JournalCheckpoint,
        JournalEntry,
        JournalHead,
        NumberSequence,
        Payment,
        Ticket,
        TicketLine,
        TicketVat,
    )
    from billing.services import seals, signing
    from billing.services.checkpoints import checkpoint_message
    from billing.services.journal import _plain as journal_plain
    from billing.services.journal import entry_hash, vat_json
    from billing.services.verification import _batches, _grouped
    from core.models import Property

    prop = Property.objects.get(slug="bench-fec")
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO billing_ticketvat (ticket_id, rate, net, vat, gross)
            SELECT l.ticket_id, l.vat_rate, sum(l.net), sum(l.vat_amount), sum(l.total)
            FROM billing_ticketline l JOIN billing_ticket t ON t.id = l.ticket_id
            WHERE t.property_id = %s GROUP BY l.ticket_id, l.vat_rate
            """,
            [prop.pk],
        )
    state = {"sequence": 0, "hash": "", "total": Decimal("0"), "abs": Decimal("0"), "id": 0}
    closures: list[tuple[int, dict, object]] = []

    def entry(**fields) -> list:
        state["sequence"] += 1
        state["id"] += 1
        if fields["kind"] == JournalEntry.Kind.RECEIPT:
            state["total"] += fields["gross"]
            state["abs"] += abs(fields["gross"])
        e = JournalEntry(
            id=state["id"],
            property_id=prop.pk,
            chain="fiscal",
            sequence=state["sequence"],
            perpetual_total=state["total"],
            perpetual_total_abs=state["abs"],
            previous_hash=state["hash"],
            version=seals.SEAL_VERSION,
            **fields,
        )
        e.hash = entry_hash(e)
        state["hash"] = e.hash
        return [
            json.dumps(v) if isinstance(v, dict) else v
            for v in (getattr(e, column) for column in columns_)
        ]

    day_totals = None
    tickets = (
        Ticket.objects.filter(property=prop)
        .order_by("number")
        .values("id", "created_at", *seals.TICKET_FIELDS)
    )
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(max(id), 0) FROM billing_journalentry")
        state["id"] = cur.fetchone()[0]
    columns_ = entry_columns()
    columns = ", ".join(columns_)
    # the rows go through a connection of their own: Django's keeps reading the documents
    with psycopg.connect(harness.bench_database_url()) as raw, raw.cursor() as cur:
        with cur.copy(f"COPY billing_journalentry ({columns}) FROM STDIN") as copy:

            def close_day(totals):
                day, gross, net, count, vat = totals
                vat_rows = [(r, v[0], v[1], v[2]) for r, v in sorted(vat.items(), reverse=True)]
                sealed = {
                    "period": "day",
                    "start": day,
                    "end": day + timedelta(days=1),
                    "gross": gross,
                    "net": net,
                    "vat": vat_json(vat_rows),
                    "entries_count": count,
                    "closed_by_id": None,
                }
                row = entry(
                    kind=JournalEntry.Kind.CLOSURE,
                    code="day",
                    business_date=day,
                    gross=gross,
                    net=net,
                    vat=sealed["vat"],
                    payload=journal_plain(
                        {"period": "day", "start": day, "end": sealed["end"], "count": count}
                    ),
                    created_at=timezone.now().replace(microsecond=0),
                    document_hash=seals.closure_seal(sealed),
                )
                copy.write_row(row)
                closures.append((state["id"], sealed, state["sequence"], state["hash"]))

            for batch in _batches(tickets, 5000):
                ids = [t["id"] for t in batch]
                lines = _grouped(
                    TicketLine.objects.filter(ticket_id__in=ids),
                    "ticket_id",
                    seals.TICKET_LINE_FIELDS,
                )
                vat = _grouped(
                    TicketVat.objects.filter(ticket_id__in=ids), "ticket_id", seals.VAT_FIELDS
                )
                tenders = defaultdict(list)
                for p in Payment.objects.filter(ticket_id__in=ids).values(
                    "ticket_id", "method", "amount", "terminal_reference"
                ):
                    tenders[p["ticket_id"]].append(
                        [p["method"], p["amount"], p["terminal_reference"]]
                    )
                for t in batch:
                    if day_totals is not None and day_totals[0] != t["business_date"]:
                        close_day(day_totals)
                        day_totals = None
                    if day_totals is None:
                        day_totals = [t["business_date"], Decimal("0"), Decimal("0"), 0, {}]
                    rows = vat[t["id"]]
                    net = sum((r["net"] for r in rows), Decimal("0"))
                    day_totals[1] += t["total"]
                    day_totals[2] += net
                    day_totals[3] += 1
                    for r in rows:
                        acc = day_totals[4].setdefault(
                            r["rate"], [Decimal("0"), Decimal("0"), Decimal("0")]
                        )
                        acc[0] += r["net"]
                        acc[1] += r["vat"]
                        acc[2] += r["gross"]
                    copy.write_row(
                        entry(
                            kind=JournalEntry.Kind.RECEIPT,
                            code="",
                            document_type="billing.ticket",
                            document_id=str(t["id"]),
                            document_number=f"T{t['number']:06d}",
                            business_date=t["business_date"],
                            gross=t["total"],
                            net=net,
                            vat=vat_json((r["rate"], r["net"], r["vat"], r["gross"]) for r in rows),
                            actor="bench",
                            terminal=t["terminal"],
                            payload=journal_plain(
                                {
                                    "status": t["status"],
                                    "outlet": t["outlet"],
                                    "tip": t["tip"],
                                    "lines": [
                                        [
                                            li["description"],
                                            li["quantity"],
                                            li["total"],
                                            li["vat_rate"],
                                        ]
                                        for li in lines[t["id"]]
                                    ],
                                    "tenders": tenders[t["id"]],
                                }
                            ),
                            created_at=t["created_at"].replace(microsecond=0),
                            document_hash=seals.ticket_seal(
                                t, lines[t["id"]], rows, tenders[t["id"]]
                            ),
                        )
                    )
            if day_totals is not None:
                close_day(day_totals)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('billing_journalentry', 'id'), %s)",
            [state["id"]],
        )
    key = signing.signing_key()
    fingerprint = signing.fingerprint(signing.public_key_pem(key))
    for entry_id, sealed, sequence, digest in closures:
        closure = Closure.objects.create(
            property=prop,
            last_sequence=sequence,
            perpetual_total=JournalEntry.objects.get(pk=entry_id).perpetual_total,
            perpetual_total_abs=JournalEntry.objects.get(pk=entry_id).perpetual_total_abs,
            journal_entry_id=entry_id,
            **{k: v for k, v in sealed.items() if k != "closed_by_id"},
        )
        checkpoint = JournalCheckpoint(
            property=prop,
            chain="fiscal",
            sequence=sequence,
            hash=digest,
            closure=closure,
            signed_at=timezone.now().replace(microsecond=0),
            key_fingerprint=fingerprint,
        )
        checkpoint.signature = signing.sign(checkpoint_message(checkpoint), key).decode()
        checkpoint.save()
    JournalHead.objects.create(
        property=prop,
        chain="fiscal",
        last_sequence=state["sequence"],
        last_hash=state["hash"],
        perpetual_total=state["total"],
        perpetual_total_abs=state["abs"],
    )
    last = Ticket.objects.filter(property=prop).order_by("-number").first()
    NumberSequence.objects.create(property=prop, series="ticket", next_value=last.number + 1)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"entries": state["sequence"], "seconds": round(time.perf_counter() - started, 1)}


def verify(processes: int | None = None) -> dict:
    """One verification in a child process: in parts (one per core), or with `processes`."""
    env = harness.bench_env()
    if processes is not None:
        env["BENCH_VERIFY_PROCESSES"] = str(processes)
    proc = subprocess.run(
        [harness.PY, "-c", CHILD],
        cwd=harness.ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("seconds", "cpu_seconds", "maxrss_mb"):
        result[key] = round(result[key], 1)
    return result


def reuse() -> tuple[dict, dict]:
    """BENCH_VERIFY_REUSE=1: verify again the year a previous run generated and sealed."""
    harness.setup_django()
    from django.db import connection

    from billing.models import JournalEntry

    counts = {}
    with connection.cursor() as cur:
        for table in ("billing_ticketline", "billing_payment", "billing_folioline"):
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed table names)
            counts[table] = cur.fetchone()[0]
    entries = JournalEntry.objects.filter(property__slug="bench-fec", chain="fiscal").count()
    connection.close()
    return (
        {"rows": counts, "generation_seconds": "reused"},
        {"entries": entries, "seconds": "reused"},
    )


def main() -> None:
    if os.environ.get("BENCH_VERIFY_REUSE"):
        data, journal = reuse()
    else:
        data = bench_fec.generate()
        journal = seal_journal()
    load_before = os.getloadavg()[0]
    result = verify()
    # the same year in one walk, right after: the ratio holds whatever the machine's speed
    single = verify(processes=1)
    result["load"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    result["single"] = single
    source_lines = sum(data["rows"].values())
    rate = round(source_lines / result["seconds"]) if result["seconds"] else 0
    harness.write_results(
        "verify",
        {**data, "journal": journal, "verify": result},
        [
            (
                "documents: ticket lines + payments + room nights",
                f"{source_lines:,} (generated in {data['generation_seconds']} s)",
                "≥ 1,000,000",
            ),
            (
                "journal entries sealed and chained (receipts + daily closures)",
                f"{journal['entries']:,} in {journal['seconds']} s",
                "reported",
            ),
            (
                "verification: result",
                "intact" if result["ok"] else f"BROKEN: {result['problems']}",
                "intact",
            ),
            (
                "verification: wall time (CPU time)",
                f"**{result['seconds']} s** ({result['cpu_seconds']} s CPU in "
                f"{result.get('parts', 1)} parts, "
                f"{rate:,} document lines/s, {result['sealed']:,} documents recomputed)",
                "< 60 s",
            ),
            (
                "the same in one walk (same run), and the speed-up in parts",
                f"{single['seconds']} s ({single['cpu_seconds']} s CPU) · "
                f"×{single['seconds'] / result['seconds']:.2f}",
                "reported",
            ),
            ("verification: peak memory", f"**{result['maxrss_mb']} MB**", "< 200 MB"),
            (
                "machine load (1-min average) before / after, 2 cores",
                f"{result['load'][0]} / {result['load'][1]}",
                "reported",
            ),
        ],
    )


if __name__ == "__main__":
    main()
