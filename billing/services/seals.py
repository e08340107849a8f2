"""Document seals: the canonical content of each fiscal document, hashed into its journal entry.

A journal entry of version 2 carries `document_hash`, the SHA-256 of its document's
canonical content, and that hash is itself covered by the entry's chained hash. So a change
to a ticket, a ticket line, a payment, an invoice (its frozen seller and buyer included) or a
closure made behind the application's back no longer matches its entry (docs/fiscal.md,
"Document seals").

Each form is written once and built from either side: from the objects the issuing service
has just inserted (no query on the sale's hot path) or from the rows the verifier streams
(`.values()` of the same attribute names). Version 2 of the forms:

- ticket: header fields, lines by pk, VAT rows by rate, and the sale's tenders
  (method, amount, terminal reference) — the receipt entry records them with the sale;
- payments: the rows of one PAYMENT entry (its payload lists their ids);
- invoice / credit note: header with the seller and buyer snapshots, lines by pk, VAT rows;
- closure: period, bounds, totals, count and who closed (its sequence and perpetual totals
  are checked against its own entry).

Changing a form means a new version: entries keep the version they were written with and
are verified with it.
"""

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter

from django.db.models import DateTimeField

from core.money import quantize

SEAL_VERSION = 2

TICKET_FIELDS = (
    "number",
    "business_date",
    "status",
    "outlet",
    "terminal",
    "cashier_id",
    "folio_id",
    "guest_id",
    "total",
    "total_vat",
    "tip",
    "currency",
    "public_id",
)
TICKET_LINE_FIELDS = (
    "id",
    "description",
    "product_id",
    "variant_id",
    "modifiers",
    "quantity",
    "unit_price",
    "total",
    "discount",
    "vat_rate",
    "vat_amount",
    "net",
    "revenue_category",
    "applied_rule",
    "service_date",
)
VAT_FIELDS = ("rate", "net", "vat", "gross")
PAYMENT_FIELDS = (
    "id",
    "method",
    "amount",
    "tendered",
    "change",
    "terminal_reference",
    "ticket_id",
    "folio_id",
    "business_date",
    "terminal",
    "created_by_id",
)
INVOICE_FIELDS = (
    "kind",
    "series",
    "sequence",
    "number",
    "folio_id",
    "original_id",
    "company_id",
    "guest_id",
    "issue_date",
    "business_date",
    "seller",
    "buyer",
    "currency",
    "total",
    "net",
    "vat_total",
    "tourist_tax",
    "payments",
    "paid",
    "balance",
    "reason",
    "email",
    "issued_by_id",
    "public_id",
)
INVOICE_LINE_FIELDS = (
    "id",
    "description",
    "product_id",
    "quantity",
    "unit_price",
    "total",
    "vat_rate",
    "vat_amount",
    "net",
    "revenue_category",
    "applied_rule",
    "folio_line_id",
    "service_date",
    "source",
)
CLOSURE_FIELDS = (
    "period",
    "start",
    "end",
    "gross",
    "net",
    "vat",
    "entries_count",
    "closed_by_id",
)

_THOUSANDTH = Decimal("0.001")
_AS_IS = frozenset({str, int, float, bool, type(None)})


def _plain(value):
    """One spelling per value: decimals to 3 places (money and quantities alike), dates in
    ISO, UUIDs as text, JSON recursively — whatever the side it was read from."""
    kind = type(value)
    if kind in _AS_IS:  # the common case first: a verification calls this millions of times
        return value
    if kind is Decimal:
        return format(value.quantize(_THOUSANDTH), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.quantize(_THOUSANDTH), "f")
    if isinstance(value, dict):
        return {str(k): v if type(v) in _AS_IS else _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in _AS_IS else _plain(v) for v in value]
    return value


_GETTERS: dict[tuple, itemgetter] = {}


def _row(source, fields: tuple[str, ...]) -> list:
    if type(source) is tuple:  # the verifier's rows, read from SQL already plain
        return list(source)
    if isinstance(source, dict):  # a row read by the verifier: the hot path
        getter = _GETTERS.get(fields) or _GETTERS.setdefault(fields, itemgetter(*fields))
        return [
            v
            if type(v) in _AS_IS
            else format(v.quantize(_THOUSANDTH), "f")
            if type(v) is Decimal
            else _plain(v)
            for v in getter(source)
        ]
    values = []
    for name in fields:
        value = getattr(source, name)
        if isinstance(value, datetime):
            # a date field given a datetime in memory is stored as its local date
            field = source._meta.get_field(name)
            if not isinstance(field, DateTimeField):
                value = field.to_python(value)
        values.append(_plain(value))
    return values


def _digest(form: dict) -> str:
    text = json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _tender_rows(tenders: Iterable) -> list:
    """(method, amount, reference) as the payment rows store them."""
    return sorted(
        [str(method), _plain(quantize(Decimal(str(amount)))), str(reference or "").strip()]
        for method, amount, reference in tenders
    )


def ticket_seal(ticket, lines: Iterable, vat_rows: Iterable, tenders: Iterable) -> str:
    """`tenders`: [method, amount, terminal reference] of the sale's payments."""
    return _digest(
        {
            "type": "ticket",
            "ticket": _row(ticket, TICKET_FIELDS),
            "lines": sorted(_row(line, TICKET_LINE_FIELDS) for line in lines),
            "vat": sorted(_row(row, VAT_FIELDS) for row in vat_rows),
            "tenders": _tender_rows(tenders),
        }
    )


def payments_seal(payments: Iterable) -> str:
    return _digest(
        {"type": "payments", "payments": sorted(_row(p, PAYMENT_FIELDS) for p in payments)}
    )


def invoice_seal(invoice, lines: Iterable, vat_rows: Iterable) -> str:
    return _digest(
        {
            "type": "invoice",
            "invoice": _row(invoice, INVOICE_FIELDS),
            "lines": sorted(_row(line, INVOICE_LINE_FIELDS) for line in lines),
            "vat": sorted(_row(row, VAT_FIELDS) for row in vat_rows),
        }
    )


def closure_seal(closure) -> str:
    return _digest({"type": "closure", "closure": _row(closure, CLOSURE_FIELDS)})
