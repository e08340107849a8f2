"""The tamper-evident fiscal journal (BIL-6; NF525: inalterability, security, conservation and
archiving of the sales data, docs/fiscal.md).

Every fiscal event is appended to a per-property chain in the same transaction as the
document it records: sequence n+1 after n, `hash = SHA-256(previous_hash + canonical JSON)`,
and perpetual grand totals carried from entry to entry. Rows are never updated or deleted
(the service offers no way to, and PostgreSQL triggers refuse it); `journal_verify` walks a
chain and names the first entry whose content, link or totals do not add up.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing.exceptions import DayClosed
from billing.lock_objects import journal_head_advance
from billing.models import JournalEntry, JournalHead
from billing.services.seals import SEAL_VERSION
from core.models import Property
from core.money import ZERO

FISCAL = JournalEntry.Chain.FISCAL
JET = JournalEntry.Chain.JET
# Kinds whose amounts move the perpetual grand total (sales and their corrections).
TOTAL_KINDS = frozenset(
    {
        JournalEntry.Kind.RECEIPT,
        JournalEntry.Kind.INVOICE,
        JournalEntry.Kind.CREDIT_NOTE,
        JournalEntry.Kind.VOID,
    }
)

# JET event codes, after those a certified French POS publishes (20 monthly archive, 40
# logout, 50 closing, 60 year closing, 80 login, 90 signature-chain verification failure,
# 240 integrator change, 260 JET initialisation).
JET_ARCHIVE = "20"
JET_LOGOUT = "40"
JET_CLOSURE = "50"
JET_YEAR_CLOSURE = "60"
JET_LOGIN = "80"
JET_VERIFICATION_FAILED = "90"
# Auberge's own code beside NP's list: a verification that found the journal intact
JET_VERIFICATION_PASSED = "91"
# and for offline tills (POS-9): a device's offline period synced (start, end, count), and
# an offline ticket refused at sync (its chain or signature does not verify)
JET_OFFLINE_PERIOD = "92"
JET_OFFLINE_REFUSED = "93"
JET_SETTINGS_CHANGED = "240"
JET_INIT = "260"


_AS_IS = frozenset({str, int, bool, float, type(None)})


def _plain(value):
    if type(value) in _AS_IS:  # most values: a verification calls this millions of times
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {
            str(k): v if type(v) in _AS_IS else f"{v:.2f}" if type(v) is Decimal else _plain(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [v if type(v) in _AS_IS else _plain(v) for v in value]
    return value


def canonical(entry: JournalEntry) -> str:
    """The exact bytes that are hashed: sorted keys, no spaces, ASCII, money as 2-dp strings."""
    return canonical_text(canonical_fields(entry))


def canonical_text(fields: dict) -> str:
    """The hashed text of already-plain fields (also used offline by the archive verifier)."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def hash_of(previous_hash: str, fields: dict) -> str:
    return hashlib.sha256((previous_hash + canonical_text(fields)).encode()).hexdigest()


_MONEY_FIELDS = ("gross", "net", "perpetual_total", "perpetual_total_abs")


def _entry_fields(entry) -> dict:
    """The hashed fields as the entry holds them (version 2 adds two)."""
    fields = {
        "property": entry.property_id,
        "chain": entry.chain,
        "sequence": entry.sequence,
        "kind": entry.kind,
        "code": entry.code,
        "document_type": entry.document_type,
        "document_id": entry.document_id,
        "document_number": entry.document_number,
        "business_date": entry.business_date,
        "gross": entry.gross,
        "net": entry.net,
        "vat": entry.vat,
        "perpetual_total": entry.perpetual_total,
        "perpetual_total_abs": entry.perpetual_total_abs,
        "actor": entry.actor,
        "terminal": entry.terminal,
        "payload": entry.payload,
        "created_at": entry.created_at,
    }
    if entry.version >= 2:
        fields["version"] = entry.version
        fields["document_hash"] = entry.document_hash
    return fields


def canonical_fields(entry: JournalEntry) -> dict:
    """The entry's hashed fields as plain JSON values (strings for money and dates).

    Version 1 (entries written before document seals) hashes the entry's own fields; version
    2 adds the version and `document_hash`, the seal of the document the entry records
    (billing.services.seals). Each entry is hashed and verified with its own version."""
    fields = _entry_fields(entry)
    for name in _MONEY_FIELDS:
        fields[name] = Decimal(fields[name])
    return _plain(fields)


def entry_hash(entry: JournalEntry) -> str:
    return hashlib.sha256((entry.previous_hash + canonical(entry)).encode()).hexdigest()


def stored_entry_hash(entry) -> str:
    """`entry_hash` of an entry read back from the database (the verifier's hot path, a few
    hundred thousand times a year): its JSON fields were stored plain, so only the scalars
    need spelling. Must equal `entry_hash` — every verification test checks it does."""
    fields = _entry_fields(entry)
    for name in _MONEY_FIELDS:
        fields[name] = f"{fields[name]:.2f}"
    business_date = fields["business_date"]
    fields["business_date"] = business_date.isoformat() if business_date is not None else None
    fields["created_at"] = fields["created_at"].isoformat()
    return hashlib.sha256((entry.previous_hash + canonical_text(fields)).encode()).hexdigest()


def vat_json(rows: Iterable[tuple[Decimal, Decimal, Decimal, Decimal]]) -> dict:
    """{"20.00": {"net": "9.17", "vat": "1.83", "gross": "11.00"}, ...} from (rate, net, vat,
    gross) rows — strings, so the hash never depends on float formatting."""
    return {
        f"{Decimal(rate):.2f}": {
            "net": f"{Decimal(net):.2f}",
            "vat": f"{Decimal(vat):.2f}",
            "gross": f"{Decimal(gross):.2f}",
        }
        for rate, net, vat, gross in rows
    }


def journal_append(
    *,
    property: Property,
    kind: str,
    chain: str = FISCAL,
    code: str = "",
    document=None,
    document_number: str = "",
    business_date: date | None = None,
    gross: Decimal = ZERO,
    net: Decimal = ZERO,
    vat: dict | None = None,
    actor=None,
    terminal: str = "",
    payload: dict | None = None,
    document_hash: str = "",
) -> JournalEntry:
    """Append one event to a chain, in the caller's transaction.

    `document_hash` is the seal of the recorded document's content (billing.services.seals):
    the entry's own hash covers it, so the document cannot change unseen.
    Raises DayClosed for a fiscal document dated on a day already closed.
    Locks: the chain's JournalHead row (serialises appends: no gap, no fork), with the
    UPDATE that takes its sequence (billing.lock_objects.journal_head_advance).
    """
    with transaction.atomic(savepoint=False):
        business_date = business_date or property.business_date()
        moves_total = chain == FISCAL and kind in TOTAL_KINDS
        total = gross if moves_total else ZERO
        # the closure committed while this document was being written with the day's date
        # (the caller's property was read before): refuse, the retry takes the next
        refuse_through = (
            business_date if chain == FISCAL and kind != JournalEntry.Kind.CLOSURE else None
        )
        advanced = journal_head_advance(
            property=property, chain=chain, total=total, refuse_through=refuse_through
        )
        if advanced is None:
            # the chain's first entry (no head yet: made, or made meanwhile by another
            # append, through the unique constraint) or a closed day (then still None)
            JournalHead.objects.bulk_create(
                [JournalHead(property=property, chain=chain)], ignore_conflicts=True
            )
            advanced = journal_head_advance(
                property=property, chain=chain, total=total, refuse_through=refuse_through
            )
            if advanced is None:
                raise DayClosed()
        sequence, previous_hash, perpetual, perpetual_abs = advanced
        entry = JournalEntry(
            property=property,
            chain=chain,
            sequence=sequence,
            kind=kind,
            code=code,
            document_type=document._meta.label_lower if document is not None else "",
            document_id=str(document.pk) if document is not None else "",
            document_number=document_number,
            business_date=business_date,
            gross=gross,
            net=net,
            vat=vat or {},
            perpetual_total=perpetual,
            perpetual_total_abs=perpetual_abs,
            actor=getattr(actor, "username", "") or "",
            terminal=terminal[:100],
            payload=_plain(payload or {}),
            previous_hash=previous_hash,
            created_at=timezone.now().replace(microsecond=0),
            version=SEAL_VERSION,
            document_hash=document_hash,
        )
        entry.hash = entry_hash(entry)
        # the insert sets the head's last_hash (trigger of migration billing/0021)
        entry.save(force_insert=True)
        return entry


def jet_event(
    *, property: Property, code: str, actor=None, terminal: str = "", payload: dict | None = None
) -> JournalEntry:
    """Record a technical event (sign-in, closure, export, verification failure…)."""
    return journal_append(
        property=property,
        chain=JET,
        kind=JournalEntry.Kind.EVENT,
        code=code,
        actor=actor,
        terminal=terminal,
        payload=payload,
    )


@dataclass
class VerificationResult:
    property_id: int
    chain: str
    checked: int
    broken: JournalEntry | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken is None


def journal_verify(*, property: Property, chain: str) -> VerificationResult:
    """Recompute a whole chain: sequence continuity, links, hashes and perpetual totals.

    Streams the chain in pk order with constant memory. Returns the first broken entry.
    """
    result = VerificationResult(property_id=property.pk, chain=chain, checked=0)
    previous_hash, expected_sequence = "", 1
    perpetual, perpetual_abs = ZERO, ZERO
    entries = JournalEntry.objects.filter(property=property, chain=chain).order_by("sequence")
    for entry in entries.iterator(chunk_size=2000):
        result.checked += 1
        moves_total = chain == FISCAL and entry.kind in TOTAL_KINDS
        perpetual += entry.gross if moves_total else ZERO
        perpetual_abs += abs(entry.gross) if moves_total else ZERO
        if entry.sequence != expected_sequence:
            result.broken, result.reason = entry, f"sequence {expected_sequence} is missing"
        elif entry.previous_hash != previous_hash:
            result.broken, result.reason = entry, "link to the previous entry is broken"
        elif entry_hash(entry) != entry.hash:
            result.broken, result.reason = entry, "content does not match its hash"
        elif entry.perpetual_total != perpetual or entry.perpetual_total_abs != perpetual_abs:
            result.broken, result.reason = entry, "perpetual totals do not add up"
        if result.broken is not None:
            return result
        previous_hash, expected_sequence = entry.hash, entry.sequence + 1
    return result


def fiscal_totals(*, property: Property, start: date, end: date) -> dict:
    """Sales totals of [start, end) from the journal: gross, net, VAT per rate, count."""
    entries = JournalEntry.objects.filter(
        property=property,
        chain=FISCAL,
        kind__in=TOTAL_KINDS,
        business_date__gte=start,
        business_date__lt=end,
    )
    sums = entries.aggregate(gross=Sum("gross"), net=Sum("net"))
    vat: dict[str, dict[str, Decimal]] = {}
    for rows in entries.values_list("vat", flat=True).iterator():
        for rate, row in rows.items():
            acc = vat.setdefault(rate, {"net": ZERO, "vat": ZERO, "gross": ZERO})
            for key in ("net", "vat", "gross"):
                acc[key] += Decimal(row[key])
    return {
        "gross": sums["gross"] or ZERO,
        "net": sums["net"] or ZERO,
        "vat": {k: {kk: f"{vv:.2f}" for kk, vv in v.items()} for k, v in sorted(vat.items())},
        "count": entries.count(),
    }
