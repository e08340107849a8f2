"""The signed period archive (NF525 "archivage"), verifiable offline.

A ZIP holding, for [start, end):
    tickets.csv      one row per ticket line (number, dates, outlet, terminal, cashier, VAT…)
    invoices.jsonl   invoices and credit notes, one JSON document per line, lines and VAT
    payments.csv     every payment (refunds negative)
    journal.jsonl    the fiscal and JET journal entries of the period, contiguous by sequence,
                     each with its hashed fields, previous hash and hash
    public_key.pem   the installation's Ed25519 public key
    manifest.json    property, period, software, SHA-256 and size of every file above, where
                     each chain starts (previous hash, opening perpetual totals) and ends
    manifest.sig     Ed25519 signature (base64) of manifest.json's exact bytes
Everything is written member by member with constant memory. `archive_verify` checks it
with no database: signature, every hash, then the journal chain."""

import csv
import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.db.models import Max, Min
from django.utils import timezone

from billing.models import Invoice, JournalEntry, Payment, TicketLine
from billing.services import signing
from billing.services.journal import FISCAL, TOTAL_KINDS, canonical_fields, hash_of
from core.models import Property

FORMAT = "auberge-archive/1"
DATA_FILES = ("tickets.csv", "invoices.jsonl", "payments.csv", "journal.jsonl")
PUBLIC_KEY = "public_key.pem"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"

TICKET_COLUMNS = [
    "ticket",
    "created_at",
    "business_date",
    "status",
    "outlet",
    "terminal",
    "cashier",
    "description",
    "quantity",
    "unit_price",
    "vat_rate",
    "net",
    "vat",
    "total",
    "revenue_category",
]
PAYMENT_COLUMNS = [
    "id",
    "created_at",
    "business_date",
    "document",
    "method",
    "amount",
    "terminal_reference",
    "terminal",
]


def archive_filename(*, property: Property, start: date, end: date) -> str:
    siren = (property.siret or "")[:9] or "000000000"
    return f"{siren}-archive-{start:%Y%m%d}-{end - timedelta(days=1):%Y%m%d}.zip"


class _Member:
    """One ZIP member open for writing, hashing and sizing what goes through."""

    def __init__(self, archive: zipfile.ZipFile, name: str):
        self.name = name
        self.handle = archive.open(name, "w", force_zip64=True)
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.handle.write(data)

    def close(self) -> dict:
        self.handle.close()
        return {"sha256": self.digest.hexdigest(), "size": self.size}


class _CsvLine:
    def __init__(self):
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, delimiter=";", lineterminator="\r\n")

    def __call__(self, row) -> bytes:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(row)
        return self.buffer.getvalue().encode("utf-8")


def _journal_range(property: Property, start: date, end: date) -> dict[str, tuple[int, int]]:
    """Per chain, the contiguous sequence range covering the period's entries."""
    ranges = {}
    rows = (
        JournalEntry.objects.filter(
            property=property, business_date__gte=start, business_date__lt=end
        )
        .values("chain")
        .annotate(first=Min("sequence"), last=Max("sequence"))
    )
    for row in rows:
        ranges[row["chain"]] = (row["first"], row["last"])
    return ranges


def archive_estimate(*, property: Property, start: date, end: date) -> int:
    lines = TicketLine.objects.filter(
        ticket__property=property, ticket__business_date__gte=start, ticket__business_date__lt=end
    ).count()
    lines += Invoice.objects.filter(
        property=property, business_date__gte=start, business_date__lt=end
    ).count()
    lines += Payment.objects.filter(
        property=property, business_date__gte=start, business_date__lt=end
    ).count()
    for first, last in _journal_range(property, start, end).values():
        lines += last - first + 1
    return lines


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


def archive_write(
    *,
    property: Property,
    start: date,
    end: date,
    handle,
    progress: Callable[[int], None] = lambda n: None,
) -> dict:
    """Write the archive of [start, end) into the binary file `handle`; returns the manifest."""
    files: dict[str, dict] = {}
    chains: dict[str, dict] = {}
    key = signing.signing_key()
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        line = _CsvLine()
        member = _Member(archive, "tickets.csv")
        member.write(line(TICKET_COLUMNS))
        tickets = (
            TicketLine.objects.filter(
                ticket__property=property,
                ticket__business_date__gte=start,
                ticket__business_date__lt=end,
            )
            .select_related("ticket", "ticket__cashier")
            .order_by("ticket__number", "pk")
        )
        for t_line in tickets.iterator(chunk_size=2000):
            t = t_line.ticket
            member.write(
                line(
                    [
                        str(t),
                        t.created_at.isoformat(),
                        t.business_date.isoformat(),
                        t.status,
                        t.outlet,
                        t.terminal,
                        t.cashier.get_username(),
                        t_line.description,
                        f"{t_line.quantity}",
                        _money(t_line.unit_price),
                        _money(t_line.vat_rate),
                        _money(t_line.net),
                        _money(t_line.vat_amount),
                        _money(t_line.total),
                        t_line.revenue_category,
                    ]
                )
            )
            progress(1)
        files[member.name] = member.close()

        member = _Member(archive, "invoices.jsonl")
        invoices = (
            Invoice.objects.filter(
                property=property, business_date__gte=start, business_date__lt=end
            )
            .select_related("original")
            .prefetch_related("lines", "vat_lines")
            .order_by("series", "sequence")
        )
        for inv in invoices.iterator(chunk_size=200):
            document = {
                "number": inv.number,
                "kind": inv.kind,
                "original": inv.original.number if inv.original_id else "",
                "issue_date": inv.issue_date.isoformat(),
                "business_date": inv.business_date.isoformat(),
                "seller": inv.seller,
                "buyer": inv.buyer,
                "currency": inv.currency,
                "total": _money(inv.total),
                "net": _money(inv.net),
                "vat_total": _money(inv.vat_total),
                "tourist_tax": _money(inv.tourist_tax),
                "paid": _money(inv.paid),
                "balance": _money(inv.balance),
                "payments": inv.payments,
                "reason": inv.reason,
                "lines": [
                    {
                        "description": li.description,
                        "quantity": f"{li.quantity}",
                        "unit_price": _money(li.unit_price),
                        "vat_rate": _money(li.vat_rate),
                        "net": _money(li.net),
                        "vat": _money(li.vat_amount),
                        "total": _money(li.total),
                        "revenue_category": li.revenue_category,
                        "service_date": li.service_date.isoformat() if li.service_date else "",
                    }
                    for li in inv.lines.all()
                ],
                "vat": [
                    {
                        "rate": _money(v.rate),
                        "net": _money(v.net),
                        "vat": _money(v.vat),
                        "gross": _money(v.gross),
                    }
                    for v in inv.vat_lines.all()
                ],
            }
            member.write(json.dumps(document, ensure_ascii=False, sort_keys=True).encode() + b"\n")
            progress(1)
        files[member.name] = member.close()

        member = _Member(archive, "payments.csv")
        member.write(line(PAYMENT_COLUMNS))
        payments = (
            Payment.objects.filter(
                property=property, business_date__gte=start, business_date__lt=end
            )
            .select_related("ticket")
            .order_by("pk")
        )
        for p in payments.iterator(chunk_size=2000):
            document = str(p.ticket) if p.ticket_id else f"FOLIO-{p.folio_id}"
            member.write(
                line(
                    [
                        p.pk,
                        p.created_at.isoformat(),
                        p.business_date.isoformat(),
                        document,
                        p.method,
                        _money(p.amount),
                        p.terminal_reference,
                        p.terminal,
                    ]
                )
            )
            progress(1)
        files[member.name] = member.close()

        member = _Member(archive, "journal.jsonl")
        for chain, (first, last) in sorted(_journal_range(property, start, end).items()):
            entries = JournalEntry.objects.filter(
                property=property, chain=chain, sequence__gte=first, sequence__lte=last
            ).order_by("sequence")
            info: dict = {"first_sequence": first, "last_sequence": last}
            for entry in entries.iterator(chunk_size=2000):
                if entry.sequence == first:
                    moves = chain == FISCAL and entry.kind in TOTAL_KINDS
                    gross = entry.gross if moves else Decimal(0)
                    info["previous_hash"] = entry.previous_hash
                    info["opening_perpetual_total"] = _money(entry.perpetual_total - gross)
                    info["opening_perpetual_total_abs"] = _money(
                        entry.perpetual_total_abs - abs(gross)
                    )
                info["last_hash"] = entry.hash
                info["closing_perpetual_total"] = _money(entry.perpetual_total)
                record = {
                    "fields": canonical_fields(entry),
                    "previous_hash": entry.previous_hash,
                    "hash": entry.hash,
                }
                member.write(json.dumps(record, sort_keys=True).encode() + b"\n")
                progress(1)
            chains[chain] = info
        files[member.name] = member.close()

        public_pem = signing.public_key_pem(key)
        member = _Member(archive, PUBLIC_KEY)
        member.write(public_pem)
        files[member.name] = member.close()

        manifest = {
            "format": FORMAT,
            "property": {
                "id": property.pk,
                "slug": property.slug,
                "name": property.name,
                "siret": property.siret,
            },
            "period": {"start": start.isoformat(), "end_exclusive": end.isoformat()},
            "created_at": timezone.now().replace(microsecond=0).isoformat(),
            "signature": {
                "algorithm": "Ed25519",
                "public_key_fingerprint": signing.fingerprint(public_pem),
            },
            "files": files,
            "journal": chains,
        }
        manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
        archive.writestr(MANIFEST, manifest_bytes)
        archive.writestr(SIGNATURE, signing.sign(manifest_bytes, key))
    return manifest


@dataclass
class ArchiveCheck:
    problems: list[str] = field(default_factory=list)
    manifest: dict | None = None
    fingerprint: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def _read(archive: zipfile.ZipFile, name: str, check: ArchiveCheck) -> bytes | None:
    try:
        return archive.read(name)
    except KeyError:
        check.problems.append(f"{name}: missing from the archive")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:  # CRC, bad deflate
        check.problems.append(f"{name}: unreadable ({exc})")
    return None


def archive_verify(path: str | Path, *, public_key_pem: bytes | None = None) -> ArchiveCheck:
    """Check an archive with no database: the manifest's signature (with the key inside, or
    the one given — which must then match), each file's SHA-256 and size, no extra file, and
    the journal chains (sequence, links, hashes, perpetual totals). Names what is wrong."""
    check = ArchiveCheck()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        check.problems.append(f"{path}: not a readable ZIP archive ({exc})")
        return check
    with archive:
        manifest_bytes = _read(archive, MANIFEST, check)
        signature = _read(archive, SIGNATURE, check)
        embedded_key = _read(archive, PUBLIC_KEY, check)
        if manifest_bytes is None or signature is None:
            return check
        key = public_key_pem or embedded_key
        if key is None:
            return check
        try:
            check.fingerprint = signing.fingerprint(key)
        except (ValueError, TypeError):
            check.problems.append(f"{PUBLIC_KEY}: not a valid public key")
            return check
        if public_key_pem is not None and embedded_key is not None and embedded_key != key:
            check.problems.append(f"{PUBLIC_KEY}: differs from the public key given")
        if not signing.verify(manifest_bytes, signature, key):
            check.problems.append(f"{MANIFEST}: signature does not match (manifest or key altered)")
        try:
            manifest = json.loads(manifest_bytes)
            files = manifest["files"]
        except (ValueError, KeyError, TypeError):
            check.problems.append(f"{MANIFEST}: not a valid manifest")
            return check
        check.manifest = manifest
        expected = set(files) | {MANIFEST, SIGNATURE}
        for name in archive.namelist():
            if name not in expected:
                check.problems.append(f"{name}: not listed in the manifest")
        contents: dict[str, bytes] = {}
        for name, meta in sorted(files.items()):
            data = _read(archive, name, check)
            if data is None:
                continue
            if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
                check.problems.append(f"{name}: SHA-256 does not match the manifest")
                continue
            if len(data) != meta.get("size"):
                check.problems.append(f"{name}: size does not match the manifest")
                continue
            contents[name] = data
        if "journal.jsonl" in contents:
            check.problems += _verify_journal(
                contents["journal.jsonl"], manifest.get("journal", {})
            )
    return check


def _verify_journal(data: bytes, chains: dict) -> list[str]:
    problems = []
    state = {
        chain: {
            "sequence": info.get("first_sequence"),
            "previous": info.get("previous_hash", ""),
            "total": Decimal(info.get("opening_perpetual_total", "0")),
            "total_abs": Decimal(info.get("opening_perpetual_total_abs", "0")),
            "seen": 0,
        }
        for chain, info in chains.items()
    }
    broken: set[str] = set()
    for number, raw in enumerate(data.splitlines(), start=1):
        where = f"journal.jsonl line {number}"
        try:
            record = json.loads(raw)
            fields, chain = record["fields"], record["fields"]["chain"]
            sequence = fields["sequence"]
        except (ValueError, KeyError, TypeError):
            problems.append(f"{where}: not a journal record")
            continue
        s = state.get(chain)
        if s is None:
            problems.append(f"{where}: chain {chain!r} is not in the manifest")
            continue
        if chain in broken:
            continue
        label = f"{where} ({chain} entry {sequence})"
        moves = chain == FISCAL and fields.get("kind") in TOTAL_KINDS
        gross = Decimal(fields.get("gross", "0"))
        s["total"] += gross if moves else 0
        s["total_abs"] += abs(gross) if moves else 0
        reason = ""
        if sequence != s["sequence"]:
            reason = f"sequence {s['sequence']} expected"
        elif record.get("previous_hash") != s["previous"]:
            reason = "link to the previous entry is broken"
        elif hash_of(record.get("previous_hash", ""), fields) != record.get("hash"):
            reason = "content does not match its hash"
        elif (
            Decimal(fields.get("perpetual_total", "0")) != s["total"]
            or Decimal(fields.get("perpetual_total_abs", "0")) != s["total_abs"]
        ):
            reason = "perpetual totals do not add up"
        if reason:
            problems.append(f"{label}: {reason}")
            broken.add(chain)
            continue
        s["previous"], s["sequence"] = record["hash"], sequence + 1
        s["seen"] += 1
    for chain, info in chains.items():
        if chain in broken:
            continue
        s = state[chain]
        if s["sequence"] != info.get("last_sequence", 0) + 1:
            problems.append(
                f"journal.jsonl: {chain} chain ends at {s['sequence'] - 1}, "
                f"manifest says {info.get('last_sequence')}"
            )
        elif s["previous"] != info.get("last_hash"):
            problems.append(f"journal.jsonl: {chain} chain's last hash differs from the manifest")
    return problems
