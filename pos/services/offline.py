"""Offline tills and tablets (POS-9, story S5; docs/offline.md).

A paired device sells while the network is down: it numbers its tickets in its own gap-free
series, chains them (`hash = SHA-256(previous hash + canonical JSON)`) and signs each hash
with the HMAC key issued at pairing. At sync its queue comes in order; each sale is checked
against the device's chain on the server and then goes through the same sale service as an
online sale (`sale_checkout`, `offline=`): numbered, journaled and paid in one transaction,
exactly once (its client UUID is the order's client_key). A ticket that does not verify is
refused with a JET event naming the device, and the chain carries on from its claimed hash,
so the rest of the queue still syncs. Tab events (lines added or voided offline) go through
the tab services under their own client UUID.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from billing.services.journal import JET_OFFLINE_PERIOD, JET_OFFLINE_REFUSED, jet_event
from billing.services.payments import MEAL_VOUCHERS, TenderInput
from core.audit import audit_log
from core.exceptions import DomainError, InvalidInput, NotFound
from core.models import Membership
from core.roles import role_has
from inventory.models import Product
from inventory.services.pricing import QuoteLineInput
from pos.models import (
    OfflineConflict,
    OfflineDevice,
    OfflineOperation,
    OfflineSync,
    OfflineTicket,
    Table,
    TableTab,
    TabLine,
    TabPart,
    Terminal,
)
from pos.services.approvals import approver_verify
from pos.services.checkout import SaleRequest, sale_checkout
from pos.services.tables import tab_add_line, tab_remove_line, tab_void_line, table_open
from pos.signals import offline_conflicts_recorded, offline_void_refused

CHAIN_VERSION = 1
OFFLINE_TENDERS = frozenset({"cash", "card", "voucher", *MEAL_VOUCHERS})
MAX_QUEUE = 1000  # items per upload: a longer queue comes in several


def device_label(device: OfflineDevice) -> str:
    """How a device is named in the journal, the JET and the manager's screen."""
    return device.label()


def device_pair(*, terminal: Terminal, actor) -> OfflineDevice:
    """Issue a new offline device (and its signing key) for a browser of `terminal`."""
    if not terminal.is_active:
        raise NotFound(_("No such terminal."))
    with transaction.atomic():
        device = OfflineDevice.objects.create(
            property_id=terminal.property_id,
            terminal=terminal,
            key=secrets.token_hex(32),
            paired_by=actor,
        )
        audit_log(
            action="pos.offline.paired",
            property=terminal.property,
            actor=actor,
            target=device,
            channel="pos",
            data={"terminal": terminal.pk, "device": str(device.public_id)},
        )
    return device


def ticket_fields(*, device_id: str, ticket: dict) -> list:
    """The canonical fields of an offline ticket, in the order the browser hashes them
    (static/js/offline/chain.js builds the same list)."""
    return [
        CHAIN_VERSION,
        device_id,
        int(ticket["sequence"]),
        str(ticket["client_key"]),
        str(ticket["sold_at"]),
        str(ticket.get("table") or ""),
        int(ticket.get("covers") or 0),
        str(ticket.get("room") or ""),
        [
            [int(line["product_id"]), int(line["quantity"]), str(line["unit_price"])]
            for line in ticket["lines"]
        ],
        [
            [str(t["method"]), str(t["amount"]), str(t.get("reference") or "")]
            for t in ticket.get("tenders") or []
        ],
        str(ticket.get("total") or "0.00"),
        int(ticket.get("cashier") or 0),
        [int(i) for i in ticket.get("tab_lines") or []],
    ]


def canonical_text(fields: list) -> str:
    """Compact JSON, non-ASCII kept (what JSON.stringify writes for the same list)."""
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


def chain_hash(*, previous_hash: str, fields: list) -> str:
    return hashlib.sha256((previous_hash + canonical_text(fields)).encode()).hexdigest()


def chain_signature(*, key: str, hash: str) -> str:
    return hmac.new(bytes.fromhex(key), hash.encode(), hashlib.sha256).hexdigest()


def pin_seal(*, key: str, client_key: str, approver_id: int, pin: str) -> str:
    """A manager's PIN typed offline, sealed under the device key for one queued void:
    XOR with HMAC-SHA256(key, "pin|<client UUID>|<manager id>") (a pad never used twice:
    each void has its own client UUID). static/js/offline/store.js seals the same way; the
    clear PIN is never written to the device's storage. Another manager's id or another
    entry's UUID gives another pad, so a moved or edited entry unseals to a wrong PIN."""
    pad = hmac.new(
        bytes.fromhex(key), f"pin|{client_key}|{approver_id}".encode(), hashlib.sha256
    ).digest()
    raw = pin.encode()[: len(pad)]
    return bytes(a ^ b for a, b in zip(raw, pad, strict=False)).hex()


def pin_unseal(*, key: str, client_key: str, approver_id: int, sealed: str) -> str:
    """The PIN `pin_seal` sealed (XOR is its own inverse); "" when it is not hex."""
    try:
        raw = bytes.fromhex(sealed)
    except ValueError:
        return ""
    pad = hmac.new(
        bytes.fromhex(key), f"pin|{client_key}|{approver_id}".encode(), hashlib.sha256
    ).digest()
    return bytes(a ^ b for a, b in zip(raw[: len(pad)], pad, strict=False)).decode("latin-1")


def ticket_sign(*, device_id: str, key: str, previous_hash: str, ticket: dict) -> dict:
    """`ticket` chained after `previous_hash` and signed, as a device's browser does it
    (static/js/offline/store.js): the reference the tests and the benchmark build queues
    with."""
    fields = ticket_fields(device_id=device_id, ticket=ticket)
    digest = chain_hash(previous_hash=previous_hash, fields=fields)
    return {
        **ticket,
        "previous_hash": previous_hash,
        "hash": digest,
        "signature": chain_signature(key=key, hash=digest),
    }


@dataclass
class ItemResult:
    """What became of one queued item: "applied", "replayed" (the first result), "refused"
    (with a reason) or "waiting" (an earlier number is missing: sent again later)."""

    client_key: str
    status: str
    reason: str = ""
    ticket_number: int | None = None
    conflicts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_key": self.client_key,
            "status": self.status,
            "reason": self.reason,
            "ticket_number": self.ticket_number,
            "conflicts": self.conflicts,
        }


def _cashier(device: OfflineDevice, user_id: int, fallback):
    """The staff member who made the sale, if they may sell at the property; else the one
    syncing (kept in the audit)."""
    membership = (
        Membership.objects.filter(property_id=device.property_id, user_id=user_id, is_active=True)
        .select_related("user")
        .first()
        if user_id
        else None
    )
    if membership is not None and role_has(membership.role, "pos.sell"):
        return membership.user
    return fallback


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("An amount is not a number."))
    return amount


def _sale_request(device: OfflineDevice, ticket: dict, actor, offline: dict) -> SaleRequest:
    terminal = device.terminal
    lines = []
    for line in ticket["lines"]:
        quantity = int(line["quantity"])
        if quantity < 1:
            raise InvalidInput(_("A line needs a quantity."))
        lines.append(
            QuoteLineInput(
                product_id=int(line["product_id"]),
                quantity=Decimal(quantity),
                modifier_ids=tuple(int(m) for m in line.get("modifier_ids") or ()),
                # the price the guest was shown and paid stands (even if changed meanwhile)
                unit_price_override=_money(line["unit_price"]),
            )
        )
    tenders = []
    for t in ticket.get("tenders") or []:
        if t["method"] not in OFFLINE_TENDERS:
            raise InvalidInput(_("This payment is not taken offline."))
        tenders.append(
            TenderInput(
                method=t["method"],
                amount=_money(t["amount"]),
                terminal_reference=str(t.get("reference") or "")[:100],
            )
        )
    return SaleRequest(
        property=terminal.property,
        terminal=terminal,
        actor=_cashier(device, int(ticket.get("cashier") or 0), actor),
        lines=lines,
        tenders=tenders,
        room_number=str(ticket.get("room") or "") or None,
        client_key=str(ticket["client_key"]),
        allow_price_override=True,
        table_label=str(ticket.get("table") or ""),
        covers=int(ticket.get("covers") or 0),
        offline=offline,
    )


def _verify(device: OfflineDevice, ticket: dict) -> tuple[str, str]:
    """(claimed hash, reason it is refused or "")."""
    claimed = str(ticket.get("hash") or "")
    try:
        fields = ticket_fields(device_id=str(device.public_id), ticket=ticket)
    except (KeyError, TypeError, ValueError):
        return claimed, _("The ticket is incomplete.")
    if str(ticket.get("previous_hash") or "") != device.last_hash:
        return claimed, _("The ticket does not follow the device's previous ticket.")
    if chain_hash(previous_hash=device.last_hash, fields=fields) != claimed:
        return claimed, _("The ticket was changed after it was made.")
    expected = chain_signature(key=device.key, hash=claimed)
    if not hmac.compare_digest(expected, str(ticket.get("signature") or "")):
        return claimed, _("The ticket's signature does not match the device's key.")
    return claimed, ""


def _sold_at(ticket: dict) -> datetime:
    value = parse_datetime(str(ticket.get("sold_at") or ""))
    if value is None:
        return timezone.now()
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _apply_sale(sync: OfflineSync, device: OfflineDevice, ticket: dict, actor) -> ItemResult:
    client_key = str(ticket.get("client_key") or "")[:100]
    first = OfflineTicket.objects.filter(client_key=client_key).select_related("order").first()
    if first is not None:
        if first.device_id != device.pk:
            return ItemResult(client_key, "refused", _("This ticket belongs to another device."))
        return ItemResult(
            client_key,
            "replayed" if first.status == OfflineTicket.Status.APPLIED else "refused",
            first.reason,
            first.order.ticket.number if first.order_id and first.order.ticket_id else None,
        )
    try:
        sequence = int(ticket.get("sequence"))
    except (TypeError, ValueError):
        return ItemResult(client_key, "refused", _("The ticket has no number."))
    with transaction.atomic():
        locked = (
            OfflineDevice.objects.select_for_update()
            .select_related("terminal__outlet", "terminal__property")
            .get(pk=device.pk)
        )
        if sequence > locked.last_sequence + 1:
            return ItemResult(client_key, "waiting", _("An earlier ticket has not arrived yet."))
        if sequence <= locked.last_sequence:
            jet_event(
                property=locked.terminal.property,
                code=JET_OFFLINE_REFUSED,
                actor=actor,
                terminal=device_label(locked),
                payload={"device": str(locked.public_id), "sequence": sequence, "reason": "reused"},
            )
            return ItemResult(client_key, "refused", _("This number was already used."))
        claimed, reason = _verify(locked, ticket)
        order = None
        conflicts: list[dict] = []
        if not reason:
            offline = {
                "device": str(locked.public_id),
                "device_name": device_label(locked),
                "sequence": sequence,
                "hash": claimed,
                "sold_at": str(ticket["sold_at"]),
            }
            try:
                sale = sale_checkout(_sale_request(locked, ticket, actor, offline))
            except (DomainError, IntegrityError, KeyError, TypeError, ValueError) as error:
                reason = str(error.message if hasattr(error, "message") else error)[:200]
            else:
                order, conflicts = sale.order, sale.conflicts
                if ticket.get("tab_lines"):
                    conflicts += _tab_paid_offline(locked, ticket, order, actor)
        status = OfflineTicket.Status.REFUSED if reason else OfflineTicket.Status.APPLIED
        row = OfflineTicket.objects.create(
            property_id=locked.property_id,
            device=locked,
            sequence=sequence,
            client_key=client_key,
            sold_at=_sold_at(ticket),
            payload={k: v for k, v in ticket.items() if k not in ("hash", "signature")},
            previous_hash=str(ticket.get("previous_hash") or ""),
            hash=claimed[:64],
            signature=str(ticket.get("signature") or "")[:64],
            status=status,
            reason=reason[:200],
            order=order,
            sync=sync,
        )
        if reason:
            jet_event(
                property=locked.terminal.property,
                code=JET_OFFLINE_REFUSED,
                actor=actor,
                terminal=device_label(locked),
                payload={
                    "device": str(locked.public_id),
                    "device_name": device_label(locked),
                    "sequence": sequence,
                    "client_key": client_key,
                    "reason": reason[:200],
                },
            )
        OfflineConflict.objects.bulk_create(
            [
                OfflineConflict(
                    property_id=locked.property_id,
                    ticket=row,
                    kind=c["kind"],
                    data={k: v for k, v in c.items() if k != "kind"},
                )
                for c in conflicts
            ]
        )
        if conflicts:
            offline_conflicts_recorded.send(sender=OfflineConflict, property_id=locked.property_id)
        # the chain carries on from the claimed hash: the next ticket still verifies
        locked.last_sequence = sequence
        locked.last_hash = claimed[:64]
        locked.save(update_fields=["last_sequence", "last_hash", "updated_at"])
    return ItemResult(
        client_key,
        "refused" if reason else "applied",
        reason,
        order.ticket.number if order is not None else None,
        [c["kind"] for c in conflicts],
    )


def _tab_paid_offline(device: OfflineDevice, ticket: dict, order, actor) -> list[dict]:
    """The server lines of a tab this offline sale paid: marked paid by a part of the bill
    (the order), and the tab closed once nothing live is left unpaid. Lines someone added
    online meanwhile stay on the open tab, to be paid online."""
    ids = [int(i) for i in ticket["tab_lines"]]
    tab_id = (
        TabLine.objects.filter(pk__in=ids, tab__property_id=device.property_id)
        .values_list("tab_id", flat=True)
        .first()
    )
    tab = (
        TableTab.objects.select_for_update().filter(pk=tab_id, status=TableTab.Status.OPEN).first()
        if tab_id
        else None
    )
    if tab is None:
        return []
    part = TabPart.objects.create(
        tab=tab,
        kind=TabPart.Kind.ITEMS,
        amount=order.ticket.total,
        client_key=f"offline:{order.client_key}",
        order=order,
        created_by=actor,
    )
    TabLine.objects.filter(tab=tab, pk__in=ids, paid_part=None).update(paid_part=part)
    unpaid = TabLine.objects.filter(tab=tab, paid_part=None, voided_at=None).count()
    if not unpaid:
        tab.status = TableTab.Status.CLOSED
        tab.closed_at = timezone.now()
        tab.save(update_fields=["status", "closed_at", "updated_at"])
    return []


def _table(device: OfflineDevice, table_id) -> Table:
    table = Table.objects.filter(
        pk=int(table_id), property_id=device.property_id, is_active=True
    ).first()
    if table is None:
        raise NotFound(_("No such table."))
    return table


def _open_tab(table: Table, covers: int, actor) -> TableTab:
    tab = TableTab.objects.filter(table=table, status=TableTab.Status.OPEN).first()
    return tab or table_open(table=table, covers=max(1, min(covers or 1, 99)), actor=actor)


def _apply_operation(sync: OfflineSync, device: OfflineDevice, item: dict, actor) -> ItemResult:
    client_key = str(item.get("client_key") or "")[:100]
    first = OfflineOperation.objects.filter(client_key=client_key).first()
    if first is not None:
        return ItemResult(client_key, "replayed" if first.status == "applied" else "refused")
    kind = item.get("type")
    line = None
    reason = ""
    approver = None
    pin_refused = False
    try:
        actor = _cashier(device, int(item.get("cashier") or 0), actor)
        if kind == OfflineOperation.Kind.VOID:
            target = _void_target(device, item)
            if target.kitchen_ticket_id is not None:
                # checked before the void's transaction: a wrong PIN's count and audit stay
                pin_refused = True
                approver = _void_approver(device, item, actor, client_key)
                pin_refused = False
        with transaction.atomic():
            table = _table(device, item.get("table_id"))
            if kind == OfflineOperation.Kind.ADD:
                product = Product.objects.filter(
                    pk=int(item["product_id"]), property_id=device.property_id
                ).first()
                if product is None:
                    raise NotFound(_("No such product."))
                tab = _open_tab(table, int(item.get("covers") or 1), actor)
                line = tab_add_line(
                    tab=tab,
                    product=product,
                    actor=actor,
                    quantity=Decimal(int(item.get("quantity") or 1)),
                    modifier_ids=[int(m) for m in item.get("modifier_ids") or ()],
                    note=str(item.get("note") or ""),
                )
            elif kind == OfflineOperation.Kind.VOID:
                line = target
                tab = line.tab
                if approver is None:
                    tab_remove_line(tab=tab, line_id=line.pk, actor=actor)
                    line = None
                else:
                    # the manager whose PIN was typed offline and checked just now
                    line = tab_void_line(
                        tab=tab,
                        line_id=line.pk,
                        actor=actor,
                        approver=approver,
                        reason=_("Offline: %(reason)s")
                        % {"reason": str(item.get("reason") or "")[:180] or "-"},
                    )
            else:
                raise InvalidInput(_("Unknown offline operation."))
    except (DomainError, KeyError, TypeError, ValueError) as error:
        reason = str(getattr(error, "message", "") or error)[:200]
    with transaction.atomic():
        operation = OfflineOperation.objects.create(
            property_id=device.property_id,
            device=device,
            client_key=client_key,
            kind=kind if kind in OfflineOperation.Kind.values else OfflineOperation.Kind.ADD,
            # the sealed PIN is checked, never kept
            payload={k: v for k, v in item.items() if k != "pin_sealed"},
            line=line,
            status="refused" if reason else "applied",
            reason=reason,
            sync=sync,
        )
        if reason and pin_refused:
            _void_refused(device, operation, actor)
    return ItemResult(client_key, "refused" if reason else "applied", reason)


def _void_approver(device: OfflineDevice, item: dict, actor, client_key: str):
    """Who approves a void of a line already sent, made offline: the waiter when their
    role may approve, else the manager chosen on the device once the PIN typed there
    (sealed under the device key: `pin_seal`) passes the PIN check, with its throttles
    per person, per device and per property (`approver_verify`).
    Raises: InvalidInput (no manager chosen), PermissionDenied (wrong PIN, throttled)."""
    role = (
        Membership.objects.filter(property_id=device.property_id, user=actor, is_active=True)
        .values_list("role", flat=True)
        .first()
    )
    try:
        approver_id = int(item.get("approver") or 0) or None
    except (TypeError, ValueError):
        approver_id = None
    pin = (
        pin_unseal(
            key=device.key,
            client_key=client_key,
            approver_id=approver_id,
            sealed=str(item.get("pin_sealed") or ""),
        )
        if approver_id
        else ""
    )
    return approver_verify(
        property=device.terminal.property,
        user=actor,
        role=role or "",
        approver_id=approver_id,
        pin=pin,
        terminal=device_label(device),
        device=f"offline:{device.public_id}",
    )


def _void_refused(device: OfflineDevice, operation: OfflineOperation, actor) -> None:
    """A void made offline whose manager's PIN did not pass at sync: the line stands, a JET
    event names the device and the manager, and the managers get an alert."""
    payload = {
        "device": str(device.public_id),
        "device_name": device_label(device),
        "operation": operation.kind,
        "client_key": operation.client_key,
        "line": operation.payload.get("line_id") or operation.payload.get("line_key") or "",
        "approver": operation.payload.get("approver") or "",
        "reason": operation.reason,
    }
    jet_event(
        property=device.terminal.property,
        code=JET_OFFLINE_REFUSED,
        actor=actor,
        terminal=device_label(device),
        payload=payload,
    )
    offline_void_refused.send(sender=OfflineOperation, operation=operation)


def _void_target(device: OfflineDevice, item: dict) -> TabLine:
    """The line an offline void names: a server line (by id) or a line this device added
    offline (by the client UUID of its add)."""
    if item.get("line_id"):
        line = (
            TabLine.objects.filter(pk=int(item["line_id"]), tab__property_id=device.property_id)
            .select_related("tab")
            .first()
        )
    else:
        added = OfflineOperation.objects.filter(
            client_key=str(item.get("line_key") or ""), device=device
        ).first()
        line = added.line if added is not None and added.line_id else None
    if line is None:
        raise NotFound(_("No such line."))
    return line


@dataclass
class SyncResult:
    sync: OfflineSync
    results: list[ItemResult]

    def as_dict(self) -> dict[str, Any]:
        return {
            "sync": self.sync.pk,
            "applied": self.sync.applied,
            "replayed": self.sync.replayed,
            "refused": self.sync.refused,
            "conflicts": self.sync.conflicts,
            "results": [r.as_dict() for r in self.results],
        }


def offline_sync(*, device: OfflineDevice, actor, queue: list[dict]) -> SyncResult:
    """Apply a device's queue in order, each item once (its client UUID), each in its own
    transaction: a refused item never holds back the others. A sale waiting for an earlier
    number stops the sales that follow it (they come again). Records the sync and, for the
    sales applied, the offline period as a JET event (start, end, count).
    Raises InvalidInput for a queue that is not a list or is too long."""
    if not isinstance(queue, list) or len(queue) > MAX_QUEUE:
        raise InvalidInput(_("Send at most %(max)s items at a time.") % {"max": MAX_QUEUE})
    sync = OfflineSync.objects.create(property_id=device.property_id, device=device, actor=actor)
    results: list[ItemResult] = []
    sold: list[datetime] = []
    blocked = False
    for item in queue:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "sale":
            if blocked:
                results.append(ItemResult(str(item.get("client_key") or ""), "waiting"))
                continue
            result = _apply_sale(sync, device, item, actor)
            blocked = result.status == "waiting"
            if result.status == "applied":
                sold.append(_sold_at(item))
        else:
            result = _apply_operation(sync, device, item, actor)
        results.append(result)
    sync.applied = sum(1 for r in results if r.status == "applied")
    sync.replayed = sum(1 for r in results if r.status == "replayed")
    sync.refused = sum(1 for r in results if r.status == "refused")
    sync.conflicts = sum(len(r.conflicts) for r in results)
    with transaction.atomic():
        if sold:
            sync.offline_from, sync.offline_until = min(sold), max(sold)
            device.refresh_from_db()
            jet_event(
                property=device.terminal.property,
                code=JET_OFFLINE_PERIOD,
                actor=actor,
                terminal=device_label(device),
                payload={
                    "device": str(device.public_id),
                    "device_name": device_label(device),
                    "start": sync.offline_from.isoformat(),
                    "end": sync.offline_until.isoformat(),
                    "count": len(sold),
                },
            )
        sync.save(
            update_fields=[
                "applied",
                "replayed",
                "refused",
                "conflicts",
                "offline_from",
                "offline_until",
            ]
        )
        OfflineDevice.objects.filter(pk=device.pk).update(last_sync_at=timezone.now())
    return SyncResult(sync=sync, results=results)


def conflict_resolve(*, conflict: OfflineConflict, actor) -> OfflineConflict:
    """A manager dealt with the conflict (stock counted, balance collected)."""
    with transaction.atomic():
        OfflineConflict.objects.filter(pk=conflict.pk, resolved_at=None).update(
            resolved_at=timezone.now()
        )
        conflict.refresh_from_db()
        audit_log(
            action="pos.offline.conflict_resolved",
            property=conflict.ticket.device.terminal.property,
            actor=actor,
            target=conflict.ticket,
            channel="pos",
            data={"conflict": conflict.pk, "kind": conflict.kind},
        )
    return conflict
