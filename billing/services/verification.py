"""Verify a property's fiscal record as a whole: chains, documents, numbering, closures, heads.

`journal_verify` proves that a chain is intact. This proves that what the chain describes is
still there and unchanged (docs/fiscal.md, "Verification"):

- each chain: sequence without gap, links, hashes, perpetual totals; its head row equals its
  last entry; each signed checkpoint has a valid signature and the chain still holds the
  signed entry — entries missing after the last entry up to a checkpoint are named;
- each sealed entry (version 2): its document's canonical content, recomputed from the rows,
  equals the seal (a ticket with its lines, VAT and tenders; the payments of a payment
  entry; an invoice or credit note; a closure); every entry's document exists, whatever
  the version;
- every ticket, invoice and credit note has its entry, and their numbering has no gap (up to
  the numbering row's counter: a removed last document is a gap too);
- each closure equals the entries of its period appended before it.

Streams the chain in batches (constant memory), a few queries per batch.
"""

import json
import logging
import os
import subprocess
import sys
import tempfile
from collections import defaultdict, namedtuple
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import quote

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    Exists,
    JSONField,
    OuterRef,
    Q,
    Sum,
    UUIDField,
)
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from billing.models import (
    Closure,
    Invoice,
    InvoiceLine,
    InvoiceVat,
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
from billing.services.checkpoints import checkpoint_valid
from billing.services.journal import (
    FISCAL,
    JET_VERIFICATION_FAILED,
    JET_VERIFICATION_PASSED,
    TOTAL_KINDS,
    jet_event,
    stored_entry_hash,
)
from core.formatting import money
from core.models import OutboxMessage, Property
from core.money import ZERO
from core.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

BATCH = 1000
MAX_PROBLEMS = 50
TICKET_SERIES = "ticket"
INVOICE_PREFIXES = {Invoice.Kind.INVOICE: "F", Invoice.Kind.CREDIT_NOTE: "A"}
Kind = JournalEntry.Kind
# the entry that issues a document (a void or duplicate only refers to it)
RECORDING_KINDS = frozenset({Kind.RECEIPT, Kind.INVOICE, Kind.CREDIT_NOTE})


@dataclass
class Problem:
    """One finding, named as a person looks it up: the document's number, or the entry."""

    document: str
    reason: str
    chain: str = FISCAL
    sequence: int | None = None
    entry_id: int | None = None

    def __str__(self) -> str:
        where = (
            f" — entry id={self.entry_id} sequence={self.sequence} ({self.chain})"
            if self.entry_id
            else ""
        )
        return f"{self.document}: {self.reason}{where}"


@dataclass
class Verification:
    property: Property
    entries: dict = field(default_factory=dict)  # chain → entries checked
    sealed: int = 0  # version-2 entries whose document was recomputed
    unsealed: int = 0  # version-1 entries: chain and existence only
    checkpoint: JournalCheckpoint | None = None  # the latest valid fiscal checkpoint
    unsigned: int = 0  # fiscal entries after it
    problems: list[Problem] = field(default_factory=list)
    # ids of the tickets (receipts) and invoices (invoices, credit notes) the chain records
    recorded: dict = field(default_factory=lambda: defaultdict(set), repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def add(self, document: str, reason: str, entry: JournalEntry | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(
                Problem(
                    document=document,
                    reason=reason,
                    chain=entry.chain if entry is not None else FISCAL,
                    sequence=entry.sequence if entry is not None else None,
                    entry_id=entry.pk if entry is not None else None,
                )
            )


def _batches(queryset, size: int = BATCH) -> Iterator[list]:
    batch = []
    for item in queryset.iterator(chunk_size=size):
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _grouped(queryset, key: str, fields: tuple) -> dict[int, list[dict]]:
    groups: dict[int, list[dict]] = defaultdict(list)
    for row in queryset.values(key, *fields):
        groups[row[key]].append(row)
    return groups


def _plain_columns(model, fields: tuple[str, ...]) -> tuple[str, list[int]]:
    """SELECT expressions that read `fields` already in the seal's spelling (decimals to 3
    places, dates in ISO, UUIDs as text), so PostgreSQL does in C what Python would do a few
    million times; and the positions of JSON columns (read as text)."""
    columns, json_at = [], []
    for position, name in enumerate(fields):
        field = model._meta.get_field(name)
        column = f'"{field.column}"'
        if isinstance(field, DecimalField):
            # every money, rate and quantity column has at most 3 places: no rounding here
            columns.append(f"round({column}, 3)::text")
        elif isinstance(field, DateTimeField):
            raise ValueError(f"{name}: a datetime has no plain SQL spelling here")
        elif isinstance(field, DateField):
            columns.append(f"to_char({column}, 'YYYY-MM-DD')")
        elif isinstance(field, UUIDField):
            columns.append(f"{column}::text")
        else:
            if isinstance(field, JSONField):
                json_at.append(position)
            columns.append(column)
    return ", ".join(columns), json_at


def _plain_rows(
    model, key: str, fields: tuple[str, ...], ids, property: Property | None = None
) -> Iterator[tuple]:
    """(key, row) for the rows whose `key` column is in `ids` (and of `property`); row:
    `fields` as the seal's plain values (seals take such a tuple as already plain)."""
    if not ids:
        return
    columns, json_at = _plain_columns(model, fields)
    table = model._meta.db_table
    key_column = model._meta.get_field(key).column
    where, params = f'"{key_column}" = ANY(%s)', [list(ids)]
    if property is not None:
        where, params = f'{where} AND "property_id" = %s', [*params, property.pk]
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "{key_column}", {columns} FROM "{table}" WHERE {where}',  # noqa: S608
            params,
        )
        for row in cursor.fetchall():
            if json_at:
                row = list(row)
                for position in json_at:
                    value = row[position + 1]
                    row[position + 1] = json.loads(value) if isinstance(value, str) else value
            yield row[0], tuple(row[1:])


def _span(chain: str, first: int, last: int) -> str:
    return f"{chain} #{first}" if first == last else f"{chain} #{first}–#{last}"


def _closure_name(period, start) -> str:
    periods = {
        "day": pgettext("closure period", "day"),
        "month": pgettext("closure period", "month"),
        "year": pgettext("closure period", "year"),
    }
    return _("%(period)s closure of %(start)s") % {
        "period": periods.get(period, period),
        "start": start,
    }


def _ticket_name(number) -> str:
    return f"T{int(number):06d}"


class _Documents:
    """The documents of one batch of fiscal entries, read in a few queries."""

    def __init__(self, property: Property, entries: list[JournalEntry], covered: set[int]):
        ids = defaultdict(set)
        payment_ids: set[int] = set()
        for entry in entries:
            if entry.document_type and entry.document_id.isdigit():
                ids[entry.document_type].add(int(entry.document_id))
            if entry.kind == Kind.PAYMENT and entry.version >= 2:
                payment_ids.update(entry.payload.get("ids", []))
        ticket_ids = ids["billing.ticket"]
        sealed_tickets = [
            int(e.document_id)
            for e in entries
            if e.kind == Kind.RECEIPT and e.version >= 2 and e.document_type == "billing.ticket"
        ]
        # ticket id → (number, the ticket's sealed fields)
        self.tickets: dict[int, tuple] = {}
        self.ticket_lines: dict[int, list] = defaultdict(list)
        self.ticket_vat: dict[int, list] = defaultdict(list)
        if connection.vendor == "postgresql":
            number_at = seals.TICKET_FIELDS.index("number")
            for pk, row in _plain_rows(Ticket, "id", seals.TICKET_FIELDS, ticket_ids, property):
                self.tickets[pk] = (row[number_at], row)
            for pk, row in _plain_rows(
                TicketLine, "ticket_id", seals.TICKET_LINE_FIELDS, sealed_tickets
            ):
                self.ticket_lines[pk].append(row)
            for pk, row in _plain_rows(TicketVat, "ticket_id", seals.VAT_FIELDS, sealed_tickets):
                self.ticket_vat[pk].append(row)
        else:
            for row in Ticket.objects.filter(pk__in=ticket_ids, property=property).values(
                "id", *seals.TICKET_FIELDS
            ):
                self.tickets[row["id"]] = (row["number"], row)
            self.ticket_lines = _grouped(
                TicketLine.objects.filter(ticket_id__in=sealed_tickets),
                "ticket_id",
                seals.TICKET_LINE_FIELDS,
            )
            self.ticket_vat = _grouped(
                TicketVat.objects.filter(ticket_id__in=sealed_tickets),
                "ticket_id",
                seals.VAT_FIELDS,
            )
        self.tenders: dict[int, list] = defaultdict(list)
        sale_payments = Payment.objects.filter(ticket_id__in=sealed_tickets, amount__gt=0)
        tender_fields = ("id", "ticket_id", "method", "amount", "terminal_reference")
        for row in sale_payments.values(*tender_fields):
            if row["id"] not in covered:
                self.tenders[row["ticket_id"]].append(
                    (row["method"], row["amount"], row["terminal_reference"])
                )
        self.payments = {
            row["id"]: row
            for row in Payment.objects.filter(pk__in=payment_ids, property=property).values(
                *seals.PAYMENT_FIELDS
            )
        }
        invoice_ids = ids["billing.invoice"]
        self.invoices = {
            row["id"]: row
            for row in Invoice.objects.filter(pk__in=invoice_ids, property=property).values(
                "id", *seals.INVOICE_FIELDS
            )
        }
        self.invoice_lines = _grouped(
            InvoiceLine.objects.filter(invoice_id__in=invoice_ids),
            "invoice_id",
            seals.INVOICE_LINE_FIELDS,
        )
        self.invoice_vat = _grouped(
            InvoiceVat.objects.filter(invoice_id__in=invoice_ids), "invoice_id", seals.VAT_FIELDS
        )
        closure_entries = [e.pk for e in entries if e.kind == Kind.CLOSURE]
        self.closures = {
            row["journal_entry_id"]: row
            for row in Closure.objects.filter(journal_entry_id__in=closure_entries).values(
                "journal_entry_id",
                "last_sequence",
                "perpetual_total",
                "perpetual_total_abs",
                *seals.CLOSURE_FIELDS,
            )
        }
        self.folios = set()
        folio_ids = ids["billing.folio"]
        if folio_ids:
            from billing.models import Folio

            self.folios = set(
                Folio.objects.filter(pk__in=folio_ids, property=property).values_list(
                    "pk", flat=True
                )
            )


# An entry as the walk reads it: the hashed fields and the few the checks name, without the
# cost of a model instance (a year of sales is hundreds of thousands of entries).
_ENTRY_FIELDS = (
    "pk",
    "property_id",
    "chain",
    "sequence",
    "kind",
    "code",
    "document_type",
    "document_id",
    "document_number",
    "business_date",
    "gross",
    "net",
    "vat",
    "perpetual_total",
    "perpetual_total_abs",
    "actor",
    "terminal",
    "payload",
    "previous_hash",
    "hash",
    "created_at",
    "version",
    "document_hash",
)
_EntryRow = namedtuple("_EntryRow", _ENTRY_FIELDS)


def _with_documents(
    property: Property, batches: Iterator[list], covered: set[int], fiscal: bool
) -> Iterator[tuple[list, "_Documents | None"]]:
    """Each batch of entries with its documents. Outside a transaction the next batch's
    documents are read by a second connection (a thread) while this one checks the current
    batch: PostgreSQL's work and Python's overlap. In a transaction (whose rows another
    connection could not see) they are read in turn."""
    batches = ([_EntryRow._make(row) for row in batch] for batch in batches)
    if not fiscal:
        for batch in batches:
            yield batch, None
        return
    if connection.in_atomic_block or connection.vendor != "postgresql":
        for batch in batches:
            yield batch, _Documents(property, batch, covered)
        return

    def read(batch):
        try:
            return _Documents(property, batch, covered)
        finally:
            connections.close_all()  # the thread's own connection

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for batch in batches:
            future = pool.submit(read, batch)
            if pending is not None:
                yield pending[0], pending[1].result()
            pending = (batch, future)
        if pending is not None:
            yield pending[0], pending[1].result()


class _PeriodTotals:
    """Sales entries per business date, as seen so far in the chain: what a closure appended
    at this point must have found."""

    def __init__(self):
        self.days: dict[date, list] = defaultdict(lambda: [ZERO, ZERO, 0, defaultdict(Decimal)])

    def add(self, entry: JournalEntry) -> None:
        day = self.days[entry.business_date]
        day[0] += entry.gross
        day[1] += entry.net
        day[2] += 1
        for rate, row in (entry.vat or {}).items():
            day[3][rate] += Decimal(row.get("gross", "0"))

    @classmethod
    def before(cls, property: Property, sequence: int) -> "_PeriodTotals":
        """The totals of the fiscal sales entries before `sequence`, added up in SQL: where a
        part of the chain starts, what its closures' periods already hold (those entries are
        verified by the parts before it)."""
        totals = cls()
        entries = JournalEntry.objects.filter(
            property=property, chain=FISCAL, kind__in=TOTAL_KINDS, sequence__lt=sequence
        )
        for row in entries.values("business_date").annotate(
            gross=Sum("gross"), net=Sum("net"), count=Count("pk")
        ):
            day = totals.days[row["business_date"]]
            day[0], day[1], day[2] = row["gross"], row["net"], row["count"]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT e.business_date, v.key, SUM((v.value->>'gross')::numeric) "
                "FROM billing_journalentry e, jsonb_each(e.vat) v "
                "WHERE e.property_id = %s AND e.chain = %s AND e.kind = ANY(%s) "
                "AND e.sequence < %s AND jsonb_typeof(e.vat) = 'object' GROUP BY 1, 2",
                [property.pk, FISCAL, list(TOTAL_KINDS), sequence],
            )
            for day, rate, gross in cursor.fetchall():
                totals.days[day][3][rate] += gross
        return totals

    def between(self, start: date, end: date) -> tuple[Decimal, Decimal, int, dict]:
        gross, net, count, vat = ZERO, ZERO, 0, defaultdict(Decimal)
        for day, (g, n, c, v) in self.days.items():
            if start <= day < end:
                gross, net, count = gross + g, net + n, count + c
                for rate, amount in v.items():
                    vat[rate] += amount
        return gross, net, count, vat


def _check_document(
    verification: Verification,
    entry: JournalEntry,
    docs: _Documents,
    totals: _PeriodTotals,
) -> None:
    kind, sealed = entry.kind, entry.version >= 2
    if entry.document_type == "billing.ticket":
        ticket_id = int(entry.document_id)
        found = docs.tickets.get(ticket_id)
        name = entry.document_number or f"ticket {entry.document_id}"
        if found is None:
            verification.add(name, _("the ticket is missing"), entry)
            return
        number, ticket = found
        if sealed and kind == Kind.RECEIPT:
            verification.sealed += 1
            seal = seals.ticket_seal(
                ticket,
                docs.ticket_lines.get(ticket_id, []),
                docs.ticket_vat.get(ticket_id, []),
                docs.tenders.get(ticket_id, []),
            )
            if seal != entry.document_hash:
                verification.add(
                    _ticket_name(number),
                    _("the ticket, its lines or its payments differ from what was sealed"),
                    entry,
                )
                return
    elif entry.document_type == "billing.invoice":
        invoice = docs.invoices.get(int(entry.document_id))
        if invoice is None:
            verification.add(
                entry.document_number,
                (
                    _("the credit note is missing")
                    if kind == Kind.CREDIT_NOTE
                    else _("the invoice is missing")
                ),
                entry,
            )
            return
        if sealed:
            verification.sealed += 1
            seal = seals.invoice_seal(
                invoice,
                docs.invoice_lines.get(invoice["id"], []),
                docs.invoice_vat.get(invoice["id"], []),
            )
            if seal != entry.document_hash:
                verification.add(
                    invoice["number"], _("the document differs from what was sealed"), entry
                )
                return
    elif entry.document_type == "billing.folio":
        if int(entry.document_id) not in docs.folios:
            verification.add(f"folio {entry.document_id}", "the folio is missing", entry)
            return
    if kind == Kind.PAYMENT and sealed:
        ids = entry.payload.get("ids", [])
        rows = [docs.payments[i] for i in ids if i in docs.payments]
        name = _("payments of %(document)s") % {
            "document": entry.document_number or entry.document_id
        }
        if len(rows) != len(ids):
            verification.add(name, _("a payment is missing"), entry)
        elif seals.payments_seal(rows) != entry.document_hash:
            verification.add(name, _("a payment differs from what was sealed"), entry)
        else:
            verification.sealed += 1
    elif kind == Kind.CLOSURE:
        _check_closure(verification, entry, docs.closures.get(entry.pk), totals)
    elif not sealed:
        verification.unsealed += 1


def _check_closure(
    verification: Verification, entry: JournalEntry, closure: dict | None, totals: _PeriodTotals
) -> None:
    payload = entry.payload or {}
    name = _closure_name(payload.get("period", entry.code), payload.get("start", "?"))
    if closure is None:
        verification.add(name, _("the closure is missing"), entry)
        return
    if (
        closure["last_sequence"] != entry.sequence
        or closure["perpetual_total"] != entry.perpetual_total
        or closure["perpetual_total_abs"] != entry.perpetual_total_abs
    ):
        verification.add(name, _("its sequence or perpetual totals differ from its entry"), entry)
        return
    if entry.version >= 2:
        verification.sealed += 1
        if seals.closure_seal(closure) != entry.document_hash:
            verification.add(name, _("the closure differs from what was sealed"), entry)
            return
    gross, net, count, vat = totals.between(closure["start"], closure["end"])
    entry_vat = {rate: Decimal(row.get("gross", "0")) for rate, row in (entry.vat or {}).items()}
    if (
        gross != entry.gross
        or net != entry.net
        or count != payload.get("count", count)
        or {r: v for r, v in vat.items() if v} != {r: v for r, v in entry_vat.items() if v}
    ):
        verification.add(
            name,
            _("its totals (%(closed)s) differ from the entries of its period (%(found)s)")
            % {"closed": money(entry.gross), "found": money(gross)},
            entry,
        )


def _covered_payments(property: Property) -> set[int]:
    """Ids of the payments that sealed payment entries record (folio payments, refunds)."""
    covered: set[int] = set()
    payloads = JournalEntry.objects.filter(
        property=property, chain=FISCAL, kind=Kind.PAYMENT, version__gte=2
    ).values_list("payload", flat=True)
    for payload in payloads.iterator(chunk_size=BATCH):
        covered.update(payload.get("ids", []))
    return covered


def _checkpoints(
    verification: Verification, property: Property, chain: str
) -> dict[int, JournalCheckpoint]:
    """The chain's checkpoints whose signature is valid, by sequence; an invalid signature or
    an unreadable key is a finding."""
    try:
        public_pem = signing.public_key_pem()
    except (OSError, ValueError, TypeError):
        if chain == FISCAL:
            verification.add(
                _("signing key"),
                _("cannot be read: the signed checkpoints could not be checked"),
            )
        return {}
    checkpoints = {}
    for checkpoint in JournalCheckpoint.objects.filter(property=property, chain=chain):
        if checkpoint_valid(checkpoint, public_pem):
            checkpoints[checkpoint.sequence] = checkpoint
        else:
            verification.add(
                f"checkpoint {chain} #{checkpoint.sequence}",
                _("its signature does not match the installation's public key"),
            )
    return checkpoints


@dataclass
class _Start:
    """Where a walk starts: its first sequence and, as stored, the entry before it (its hash
    and perpetual totals; None when that entry is missing — a finding of the part before)."""

    sequence: int = 1
    previous_hash: str | None = ""
    perpetual: Decimal | None = ZERO
    perpetual_abs: Decimal | None = ZERO


def _walk_chain(
    verification: Verification,
    property: Property,
    chain: str,
    covered: set[int],
    signed: dict[int, str],
    start: _Start | None = None,
    last_sequence: int | None = None,
    totals: "_PeriodTotals | None" = None,
) -> "_EntryRow | None":
    """Chain, documents and closures of one chain (or of the part from `start` to
    `last_sequence`), in one streamed pass; `signed`: the hash each valid checkpoint signed,
    by sequence. Returns the last entry walked."""
    start = start or _Start()
    totals = totals or _PeriodTotals()
    previous_hash, expected, checked = start.previous_hash, start.sequence, 0
    perpetual, perpetual_abs = start.perpetual, start.perpetual_abs
    last = None
    rows = JournalEntry.objects.filter(property=property, chain=chain, sequence__gte=start.sequence)
    if last_sequence is not None:
        rows = rows.filter(sequence__lte=last_sequence)
    rows = rows.order_by("sequence").values_list(*_ENTRY_FIELDS)
    for batch, docs in _with_documents(property, _batches(rows), covered, chain == FISCAL):
        for entry in batch:
            checked += 1
            moves_total = chain == FISCAL and entry.kind in TOTAL_KINDS
            if perpetual is not None:
                perpetual += entry.gross if moves_total else ZERO
                perpetual_abs += abs(entry.gross) if moves_total else ZERO
            label = entry.document_number or f"{chain} #{entry.sequence}"
            if entry.sequence != expected:
                verification.add(
                    label,
                    _("entry %(chain)s #%(n)s is missing") % {"chain": chain, "n": expected},
                    entry,
                )
            elif previous_hash is not None and entry.previous_hash != previous_hash:
                verification.add(label, _("link to the previous entry is broken"), entry)
            elif stored_entry_hash(entry) != entry.hash:
                verification.add(label, _("entry content does not match its hash"), entry)
            elif perpetual is not None and (
                entry.perpetual_total != perpetual or entry.perpetual_total_abs != perpetual_abs
            ):
                verification.add(label, _("perpetual totals do not add up"), entry)
            signed_hash = signed.get(entry.sequence)
            if signed_hash is not None and signed_hash != entry.hash:
                verification.add(label, _("differs from the signed checkpoint"), entry)
            if docs is not None:
                if entry.kind in RECORDING_KINDS and entry.document_id.isdigit():
                    verification.recorded[entry.document_type].add(int(entry.document_id))
                _check_document(verification, entry, docs, totals)
                if moves_total:
                    totals.add(entry)
            previous_hash, expected, last = entry.hash, entry.sequence + 1, entry
            perpetual, perpetual_abs = entry.perpetual_total, entry.perpetual_total_abs
    verification.entries[chain] = verification.entries.get(chain, 0) + checked
    return last


def _chain_end(
    verification: Verification,
    property: Property,
    chain: str,
    last_sequence: int,
    last_hash: str,
    checkpoints: dict[int, JournalCheckpoint],
) -> None:
    """After the last entry: entries a checkpoint signed but missing, the head row, and the
    latest checkpoint reached."""
    signed = max(checkpoints, default=0)
    if signed > last_sequence:
        verification.add(
            _span(chain, last_sequence + 1, signed),
            _("entries missing after the last one: the checkpoint signed %(signed)s reached #%(n)s")
            % {
                "signed": f"{timezone.localtime(checkpoints[signed].signed_at):%Y-%m-%d %H:%M}",
                "n": signed,
            },
        )
    head = JournalHead.objects.filter(property=property, chain=chain).first()
    if head is not None and (head.last_sequence != last_sequence or head.last_hash != last_hash):
        verification.add(
            _span(chain, last_sequence + 1, head.last_sequence)
            if head.last_sequence > last_sequence
            else f"{chain} head",
            _("the chain's head is at #%(head)s, its last entry at #%(last)s")
            % {"head": head.last_sequence, "last": last_sequence},
        )
    if chain == FISCAL:
        valid = [c for s, c in sorted(checkpoints.items()) if s <= last_sequence]
        verification.checkpoint = valid[-1] if valid else None
        verification.unsigned = last_sequence - (valid[-1].sequence if valid else 0)


def _verify_chain(
    verification: Verification, property: Property, chain: str, covered: set[int]
) -> None:
    checkpoints = _checkpoints(verification, property, chain)
    signed = {sequence: c.hash for sequence, c in checkpoints.items()}
    last = _walk_chain(verification, property, chain, covered, signed)
    _chain_end(
        verification,
        property,
        chain,
        last.sequence if last is not None else 0,
        last.hash if last is not None else "",
        checkpoints,
    )


def _missing_entries(verification: Verification, property: Property, covered: set[int]) -> None:
    """Documents with no journal entry (inserted behind the application's back).

    Payments: from the first sealed payment entry on, every folio payment and every refund
    must be one an entry records (a sale's own payments are checked against its receipt)."""
    if covered:
        unrecorded = (
            Payment.objects.filter(property=property, pk__gte=min(covered))
            .filter(Q(ticket__isnull=True) | Q(amount__lt=0))
            .order_by("pk")
            .values_list("pk", "amount", "folio_id", "ticket_id")
        )
        for pk, amount, folio_id, ticket_id in unrecorded.iterator(chunk_size=10_000):
            if pk not in covered:
                where = (
                    _("folio %(id)s") % {"id": folio_id}
                    if folio_id
                    else _("ticket %(id)s") % {"id": ticket_id}
                )
                verification.add(
                    _("payment %(id)s (%(amount)s on %(where)s)")
                    % {"id": pk, "amount": money(amount), "where": where},
                    _("the payment has no journal entry"),
                )
                break
    # streamed, not an anti-join: ids of the entries' documents were collected on the walk
    tickets = Ticket.objects.filter(property=property).order_by("number")
    for pk, number in tickets.values_list("pk", "number").iterator(chunk_size=10_000):
        if pk not in verification.recorded["billing.ticket"]:
            verification.add(_ticket_name(number), _("the ticket has no journal entry"))
            break
    invoices = Invoice.objects.filter(property=property).order_by("pk")
    for pk, number in invoices.values_list("pk", "number").iterator(chunk_size=10_000):
        if pk not in verification.recorded["billing.invoice"]:
            verification.add(number, _("the document has no journal entry"))
            break
    orphan = (
        Closure.objects.filter(property=property)
        .filter(~Exists(JournalEntry.objects.filter(pk=OuterRef("journal_entry_id"))))
        .values_list("period", "start")
        .first()
    )
    if orphan is not None:
        verification.add(_closure_name(*orphan), _("its journal entry is missing"))


def _numbering(verification: Verification, property: Property) -> None:
    """Gap-free numbering per series, up to the counter of its numbering row."""
    counters = dict(
        NumberSequence.objects.filter(property=property).values_list("series", "next_value")
    )
    series_of = [(TICKET_SERIES, Ticket.objects.filter(property=property), "number", None)]
    for series in counters:
        kind, _sep, year = series.rpartition("-")
        if kind in INVOICE_PREFIXES and year.isdigit():
            series_of.append(
                (series, Invoice.objects.filter(property=property, series=series), "sequence", kind)
            )
    for series, queryset, column, kind in series_of:

        def name(n, kind=kind, series=series):
            if kind is None:
                return _ticket_name(n)
            return f"{INVOICE_PREFIXES[kind]}{series.rpartition('-')[2]}-{n:06d}"

        expected = 1
        numbers = queryset.order_by(column).values_list(column, flat=True)
        for number in numbers.iterator(chunk_size=10_000):
            if number != expected:
                verification.add(name(expected), _("missing from the numbering (a gap)"))
                break
            expected += 1
        else:
            top = counters.get(series, 1) - 1
            if top >= expected:
                verification.add(
                    name(expected),
                    _("missing: the numbering reached %(last)s") % {"last": name(top)},
                )


def property_verify(*, property: Property, processes: int | None = None) -> Verification:
    """Everything above for one property; `problems` lists what is wrong, first found first.

    A long fiscal chain (settings.VERIFY_PARALLEL_MIN_ENTRIES) is cut into `processes` parts
    (settings.VERIFY_PROCESSES, default the machine's cores) walked by as many child
    processes, while this one walks the JET chain and the numbering; then the parts are
    stitched (docs/fiscal.md, "Verification")."""
    parts = _parts(property, processes)
    if len(parts) > 1:
        try:
            return _verify_in_parts(Verification(property=property), property, parts)
        except _PartFailed as exc:
            # a part's process died (memory, a signal): verify in one walk rather than not
            logger.warning("verification in parts failed (%s): one walk instead", exc)
    verification = Verification(property=property)
    covered = _covered_payments(property)
    for chain in (FISCAL, JournalEntry.Chain.JET):
        _verify_chain(verification, property, chain, covered)
    _missing_entries(verification, property, covered)
    _numbering(verification, property)
    return verification


class _PartFailed(Exception):
    """A part's process did not finish."""


def _parts(property: Property, processes: int | None) -> list[tuple[int, int | None]]:
    """[(first, last)] sequences of the fiscal chain's parts; the last part is open-ended
    (entries appended while it runs, or beyond a head that lies, are walked too)."""
    if processes is None:
        processes = settings.VERIFY_PROCESSES or os.cpu_count() or 1
    if processes < 2 or connection.in_atomic_block or connection.vendor != "postgresql":
        return [(1, None)]
    head = JournalHead.objects.filter(property=property, chain=FISCAL).first()
    count = head.last_sequence if head is not None else 0
    if count < settings.VERIFY_PARALLEL_MIN_ENTRIES:
        return [(1, None)]
    size = -(-count // processes)
    bounds = [(1 + i * size, (i + 1) * size) for i in range(processes)]
    return [*bounds[:-1], (bounds[-1][0], None)]


def _child_environment() -> dict[str, str]:
    """The environment of a part's process: this one's, with the database this process uses
    (under tests, the test database)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}",
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
    }


def _verify_in_parts(
    verification: Verification, property: Property, parts: list[tuple[int, int | None]]
) -> Verification:
    """Start one process per part, walk the JET chain and the numbering meanwhile, stitch."""
    checkpoints = _checkpoints(verification, property, FISCAL)
    covered = _covered_payments(property)
    language = translation.get_language() or settings.LANGUAGE_CODE
    env = _child_environment()
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        # what every part needs and this process has already checked: the hashes the valid
        # checkpoints signed, the payments that payment entries record
        given = os.path.join(tmp, "given.json")
        with open(given, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "signed": {str(seq): c.hash for seq, c in checkpoints.items()},
                    "covered": sorted(covered),
                },
                handle,
            )
        children = []
        for index, (first, last) in enumerate(parts):
            out = os.path.join(tmp, f"part-{index}.json")
            command = [
                sys.executable,
                str(settings.BASE_DIR / "manage.py"),
                "verify_journal_part",
                f"--property-id={property.pk}",
                f"--first={first}",
                f"--given={given}",
                f"--out={out}",
                f"--language={language}",
            ]
            if last is not None:
                command.append(f"--last={last}")
            # our own interpreter and manage.py, arguments we built: no untrusted input
            children.append((subprocess.Popen(command, env=env), out))  # noqa: S603
        tail = Verification(property=property)
        _verify_chain(tail, property, JournalEntry.Chain.JET, set())
        _numbering(tail, property)
        results = []
        for child, out in children:
            if child.wait() != 0:
                for other, _out in children:
                    other.kill()
                raise _PartFailed(f"exit {child.returncode}")
            with open(out, encoding="utf-8") as handle:
                results.append(json.load(handle))
    last_sequence, last_hash = 0, ""
    for (first, _last), result in zip(parts, results, strict=True):
        if first > 1 and last_sequence != first - 1:
            # the part before ended early: its last entries are missing
            verification.add(
                _span(FISCAL, last_sequence + 1, first - 1),
                _("entry %(chain)s #%(n)s is missing") % {"chain": FISCAL, "n": last_sequence + 1},
            )
        for problem in result["problems"]:
            if len(verification.problems) < MAX_PROBLEMS:
                verification.problems.append(Problem(**problem))
        verification.entries[FISCAL] = verification.entries.get(FISCAL, 0) + result["checked"]
        verification.sealed += result["sealed"]
        verification.unsealed += result["unsealed"]
        for document_type, ids in result["recorded"].items():
            verification.recorded[document_type].update(ids)
        if result["last"] is not None:
            last_sequence, last_hash = result["last"]
    _chain_end(verification, property, FISCAL, last_sequence, last_hash, checkpoints)
    for problem in tail.problems:
        if len(verification.problems) < MAX_PROBLEMS:
            verification.problems.append(problem)
    verification.entries.update(tail.entries)
    _missing_entries(verification, property, covered)
    return verification


def property_verify_part(
    *,
    property: Property,
    first: int,
    last: int | None,
    signed: dict[int, str],
    covered: set[int],
) -> dict:
    """One part of the fiscal chain (a child process of property_verify): chain, documents
    and closures from `first` to `last`, as JSON for the parent to stitch. Starts from the
    stored entry before `first`; the part before verifies that entry."""
    verification = Verification(property=property)
    start = _Start(sequence=first)
    if first > 1:
        before = (
            JournalEntry.objects.filter(property=property, chain=FISCAL, sequence=first - 1)
            .values("hash", "perpetual_total", "perpetual_total_abs")
            .first()
        )
        if before is None:
            start = _Start(sequence=first, previous_hash=None, perpetual=None, perpetual_abs=None)
        else:
            start = _Start(
                sequence=first,
                previous_hash=before["hash"],
                perpetual=before["perpetual_total"],
                perpetual_abs=before["perpetual_total_abs"],
            )
    last_entry = _walk_chain(
        verification,
        property,
        FISCAL,
        covered,
        signed,
        start=start,
        last_sequence=last,
        totals=_PeriodTotals.before(property, first),
    )
    return {
        "problems": [asdict(problem) for problem in verification.problems],
        "checked": verification.entries.get(FISCAL, 0),
        "sealed": verification.sealed,
        "unsealed": verification.unsealed,
        "recorded": {kind: sorted(ids) for kind, ids in verification.recorded.items()},
        "last": [last_entry.sequence, last_entry.hash] if last_entry is not None else None,
    }


def verification_record(verification: Verification, *, actor: str) -> JournalEntry:
    """The JET event of a verification: who, when (the entry's time), the result and the
    first finding, so the accountant's screen and an auditor see every run."""
    first = verification.first
    checkpoint = verification.checkpoint
    return jet_event(
        property=verification.property,
        code=JET_VERIFICATION_PASSED if verification.ok else JET_VERIFICATION_FAILED,
        actor=SimpleNamespace(username=actor[:150]),
        payload={
            "result": "ok" if verification.ok else "broken",
            "entries": verification.entries,
            "sealed": verification.sealed,
            "problems": len(verification.problems),
            "first": str(first) if first else "",
            "entry": first.entry_id if first else None,
            "sequence": first.sequence if first else None,
            "checkpoint": checkpoint.sequence if checkpoint else None,
            "unsigned": verification.unsigned,
        },
    )


VERIFY_TASK = "billing.tasks.journal_verify_task"
# the task's hard time limit: a year of a busy property takes minutes, never this long
VERIFY_TIME_LIMIT = timedelta(hours=1)


def verification_request(*, property: Property, actor: str) -> tuple[OutboxMessage, bool]:
    """Ask a worker to verify the property's record (a year takes longer than a web request
    may last). One at a time: a verification already waiting or running is returned instead
    of a second one. Returns (message, created)."""
    with transaction.atomic():
        # the property row is the lock: two clicks at once queue one verification
        Property.objects.select_for_update().filter(pk=property.pk).first()
        pending = verification_in_progress(property=property)
        if pending is not None:
            return pending, False
        message = outbox_enqueue(
            task=VERIFY_TASK,
            kwargs={"property_id": property.pk, "actor": actor[:150]},
            property=property,
            stale_after=VERIFY_TIME_LIMIT + timedelta(minutes=5),
        )
    return message, True


def verification_in_progress(*, property: Property) -> OutboxMessage | None:
    """The verification asked for on the screen and not finished yet, if any."""
    return (
        OutboxMessage.objects.filter(
            property=property,
            task=VERIFY_TASK,
            status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.RUNNING],
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def last_verification(*, property: Property) -> JournalEntry | None:
    """The latest verification event of a property (passed or failed)."""
    return (
        JournalEntry.objects.filter(
            property=property,
            chain=JournalEntry.Chain.JET,
            code__in=[JET_VERIFICATION_PASSED, JET_VERIFICATION_FAILED],
        )
        .order_by("-sequence")
        .first()
    )


def verification_alert(verification: Verification) -> int:
    """E-mail a broken verification to the property's managers and accountants, in the
    property's language. Called after the run is recorded, outside any transaction."""
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail
    from django.utils import translation

    from core.models import Role

    prop = verification.property
    recipients = sorted(
        set(
            get_user_model()
            .objects.filter(
                memberships__property=prop,
                memberships__role__in=[Role.MANAGER, Role.ACCOUNTANT],
                memberships__is_active=True,
                is_active=True,
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not recipients:
        return 0
    with translation.override(prop.default_language or "fr"):
        subject = _("%(property)s: the fiscal journal verification failed") % {
            "property": prop.name
        }
        count = len(verification.problems)
        lines = [
            ngettext(
                "The nightly verification of the fiscal record found %(count)s problem.",
                "The nightly verification of the fiscal record found %(count)s problems.",
                count,
            )
            % {"count": count},
            _("First: %(problem)s") % {"problem": verification.first},
            "",
            *[str(p) for p in verification.problems[:20]],
            "",
            _(
                "Nothing is repaired automatically: keep the database as it is and call your "
                "Auberge administrator."
            ),
        ]
    return send_mail(subject, "\n".join(lines), None, recipients)
