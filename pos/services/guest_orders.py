"""Guests ordering from their phone (POS-2, POS-3, POS-5): a QR code per table and per room,
the outlet's menu priced by the same quote, and an order that is a sale like any other — at
a table it joins the table's tab and goes to the stations as a waiter's send does; in a room
it is the counter's sale charged to the in-house stay's folio (billing numbers the ticket
and writes the journal). Never a side channel: no price, stock or fiscal rule of its own."""

import logging
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import audit_log
from core.cache_tokens import versioned_get
from core.exceptions import (
    Conflict,
    DomainError,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from core.outbox import outbox_enqueue
from core.services import failures_count, failures_locked_wait
from inventory.catalog_cache import catalog_version
from inventory.models import Channel
from inventory.services.catalogue import product_line_check
from inventory.services.pricing import QuoteLineInput, quote
from pms.selectors import in_house_room
from pos.exceptions import NotInHouse
from pos.guest_menu import guest_menu_products, point_channel
from pos.models import GuestOrder, GuestOrderPoint, Outlet, Table, TableTab, TabLine, Terminal
from pos.services.checkout import SaleRequest, sale_checkout
from pos.services.pickup_slots import collect_email, collect_slot_recheck
from pos.services.tables import (
    guest_order_send,
    tab_add_line,
    tab_send,
    table_open,
)

logger = logging.getLogger(__name__)

SALT = "pos.guest-point"
GUEST_ACTOR = "guest-orders"
TERMINAL_NAME = "QR"
MAX_LINE_QUANTITY = 20
# a room's QR code: this many wrong surnames lock its room charge for the window
CONFIRM_MAX_FAILURES = 5
CONFIRM_LOCK_SECONDS = 15 * 60
# an order older than this no longer counts towards the outlet's open orders
OPEN_ORDER_WINDOW = timedelta(hours=1)


class ConfirmLocked(PermissionDenied):
    """Too many wrong surnames at a room's QR code."""


def stored_lines(inputs: Sequence, quoted_lines: Sequence) -> list[dict]:
    """What a guest order keeps of its lines (GuestOrder.lines): enough to sell them later at
    the price shown (`stored_lines_as_input`) and to list them to the guest and the staff."""
    return [
        {
            "product_id": i.product_id,
            "quantity": int(i.quantity),
            "modifier_ids": list(i.modifier_ids),
            "note": i.note,
            "description": q.description,
            "total": str(q.total),
        }
        for i, q in zip(inputs, quoted_lines, strict=True)
    ]


def stored_lines_as_input(lines: Sequence[dict]) -> list[QuoteLineInput]:
    """A guest order's kept lines as the sale's lines (the sale quotes them again)."""
    return [
        QuoteLineInput(
            product_id=line["product_id"],
            quantity=Decimal(line["quantity"]),
            modifier_ids=tuple(line["modifier_ids"]),
            note=line.get("note", ""),
        )
        for line in lines
    ]


def point_token(point: GuestOrderPoint) -> str:
    """The signed token printed in the QR code: the point and its version (a rotation makes
    every older print invalid)."""
    return signing.Signer(salt=SALT).sign(f"{point.pk}.{point.version}")


# GuestOrderPoint.objects.filter(pk=, version=, is_active=True, outlet__is_active=True)
# .values_list("property_id", "outlet__updated_at", "property__updated_at"), written out:
# every menu view runs it, and building it with the ORM cost 0.7 ms of CPU, more than the
# rest of a cached view (bench_guest_menu); tests/pos/guest checks a rotated, disabled or
# closed point is refused
POINT_LIVE_SQL = """
    SELECT gp.property_id, o.updated_at, p.updated_at
    FROM pos_guestorderpoint gp
    JOIN pos_outlet o ON o.id = gp.outlet_id
    JOIN core_property p ON p.id = gp.property_id
    WHERE gp.id = %s AND gp.version = %s AND gp.is_active AND o.is_active
"""


def point_from_token(token: str) -> GuestOrderPoint | None:
    """The active point of a scanned token, or None (forged, rotated, disabled)."""
    try:
        raw = signing.Signer(salt=SALT).unsign(token)
        pk, version = (int(part) for part in raw.split("."))
    except (signing.BadSignature, ValueError):
        return None
    # one small query says the code still works (not rotated, disabled, its outlet closed)
    # and when its outlet and property last changed; the point with its relations comes
    # from the cache under those (a pause, new hours or a renamed hotel is another key)
    with connection.cursor() as cursor:
        cursor.execute(POINT_LIVE_SQL, [pk, version])
        live = cursor.fetchone()
    if live is None:
        return None
    property_id, outlet_at, property_at = live
    key = (
        f"pos:guest-point:{pk}:{version}:{outlet_at.timestamp()}:{property_at.timestamp()}:"
        f"{catalog_version(property_id=property_id)}"
    )
    point = versioned_get(key)
    if point is None:
        point = (
            GuestOrderPoint.objects.select_related(
                "property", "outlet__room_service_fee", "terminal__outlet", "table", "room"
            )
            .filter(pk=pk, version=version)
            .first()
        )
        if point is not None:
            cache.set(key, point, timeout=3600)
    return point


def guest_actor():
    """The user a guest's sale is made by (the cashier of its ticket, the actor of its
    audit): one inactive account that cannot sign in. Its id is cached (no query per order)."""
    User = get_user_model()
    pk = cache.get("pos:guest-actor")
    if pk is not None:
        return User(pk=pk, username=GUEST_ACTOR)
    user, created = User.objects.get_or_create(
        username=GUEST_ACTOR, defaults={"is_active": False, "first_name": "QR"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    cache.set("pos:guest-actor", user.pk, timeout=None)
    return user


def _guest_terminal(outlet: Outlet) -> Terminal:
    terminal = Terminal.objects.filter(outlet=outlet, name=TERMINAL_NAME).first()
    if terminal is None:
        terminal = Terminal.objects.create(
            property_id=outlet.property_id, outlet=outlet, name=TERMINAL_NAME
        )
    return terminal


@transaction.atomic
def guest_points_create(
    *, outlet: Outlet, actor, rooms: Sequence = (), kiosk: bool = False, collect: bool = False
) -> int:
    """A QR code for each active table of `outlet` and each room of `rooms` that has none
    yet, and a kiosk's code when asked (the outlet's guest terminal made on the first).
    Returns how many were made."""
    terminal = _guest_terminal(outlet)
    tables = Table.objects.filter(outlet=outlet, is_active=True, guest_point__isnull=True)
    have = set(
        GuestOrderPoint.objects.filter(outlet=outlet, room__isnull=False).values_list(
            "room_id", flat=True
        )
    )

    def point(kind: str, **where) -> GuestOrderPoint:
        return GuestOrderPoint(
            property_id=outlet.property_id, outlet=outlet, terminal=terminal, kind=kind, **where
        )

    Kind = GuestOrderPoint.Kind
    points = [point(Kind.TABLE, table=t) for t in tables] + [
        point(Kind.ROOM, room=r)
        for r in rooms
        if r.pk not in have and r.property_id == outlet.property_id
    ]
    if kiosk:
        points.append(point(Kind.KIOSK))
    if collect and not GuestOrderPoint.objects.filter(outlet=outlet, kind=Kind.COLLECT).exists():
        points.append(point(Kind.COLLECT))  # the outlet's one click-and-collect page
    GuestOrderPoint.objects.bulk_create(points)
    if points:
        audit_log(
            action="pos.guest_points.created",
            property=outlet.property,
            actor=actor,
            target=outlet,
            channel="pos",
            data={"count": len(points)},
        )
    return len(points)


def guest_point_rotate(*, point: GuestOrderPoint, actor) -> GuestOrderPoint:
    """A new code for the point: the printed one stops working at once."""
    GuestOrderPoint.objects.filter(pk=point.pk).update(version=F("version") + 1)
    point.refresh_from_db(fields=["version"])
    audit_log(
        action="pos.guest_point.rotated",
        property=point.property,
        actor=actor,
        target=point,
        channel="pos",
        data={"version": point.version},
    )
    return point


def outlet_guest_rules_set(*, outlet: Outlet, actor, **rules) -> Outlet:
    """The outlet's service rules for guest orders (pause, acceptance, hours, open orders),
    audited before → after."""
    fields = (
        "guest_orders_paused",
        "guest_orders_need_acceptance",
        "guest_orders_max_open",
        "opens_at",
        "kitchen_closes_at",
        "room_service_opens_at",
        "room_service_closes_at",
        "room_service_fee",
        "collect_slot_minutes",
        "collect_slot_capacity",
        "collect_lead_minutes",
        "collect_days_ahead",
        "collect_closed_weekdays",
        "collect_pay_at_pickup",
        "collect_grace_minutes",
        "collect_kitchen_lead_minutes",
        "kiosk_counter_minutes",
    )
    before = {f: str(getattr(outlet, f)) for f in fields}
    for name, value in rules.items():
        if name not in fields:
            raise InvalidInput(_("No such rule."))
        setattr(outlet, name, value)
    outlet.save(update_fields=[*rules, "updated_at"])
    after = {f: str(getattr(outlet, f)) for f in fields}
    if before != after:
        audit_log(
            action="pos.outlet.guest_rules_set",
            property=outlet.property,
            actor=actor,
            target=outlet,
            channel="pos",
            data={"before": before, "after": after},
        )
    return outlet


@dataclass(frozen=True)
class GuestLine:
    product_id: int
    quantity: int = 1
    modifier_ids: tuple[int, ...] = field(default_factory=tuple)
    note: str = ""


def _open_at(local, opens, closes) -> bool:
    """Whether `local` is within opens–closes (either may be empty; across midnight works)."""
    if opens and closes:
        return opens <= local < closes if opens < closes else not (closes <= local < opens)
    return (opens is None or local >= opens) and (closes is None or local < closes)


def _hours(opens, closes) -> dict:
    return {
        "opens": opens.strftime("%H:%M") if opens else "00:00",
        "closes": closes.strftime("%H:%M") if closes else "24:00",
    }


def outlet_taking_orders(
    outlet: Outlet, *, now: datetime | None = None, room: bool = False
) -> str | None:
    """Why the outlet takes no guest order now (a message for the guest), else None: paused,
    the kitchen closed, or (`room`) outside the room-service hours."""
    if outlet.guest_orders_paused:
        return _("Online orders are paused for a moment. Please ask the staff.")
    local = timezone.localtime(now or timezone.now()).time()
    if not _open_at(local, outlet.opens_at, outlet.kitchen_closes_at):
        return _("The kitchen is closed: orders are taken from %(opens)s to %(closes)s.") % _hours(
            outlet.opens_at, outlet.kitchen_closes_at
        )
    opens, closes = outlet.room_service_opens_at, outlet.room_service_closes_at
    if room and not _open_at(local, opens, closes):
        return _("Room service is closed: it takes orders from %(opens)s to %(closes)s.") % (
            _hours(opens, closes)
        )
    return None


def _with_fee(point: GuestOrderPoint, inputs: list, menu_products: dict):
    """A room's order with the outlet's delivery fee (a catalogue product: its price and
    VAT, on the ticket and the folio like any line), and the products the quote may use."""
    fee = point.outlet.room_service_fee if point.kind == GuestOrderPoint.Kind.ROOM else None
    if fee is None or not fee.is_active:
        return inputs, menu_products
    return (
        [*inputs, QuoteLineInput(product_id=fee.pk)],
        {**menu_products, fee.pk: fee},
    )


def _normalised(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if c.isalnum()).casefold()


def _confirm_key(point: GuestOrderPoint) -> str:
    return f"guest-confirm-failures:{point.pk}"


def room_confirm_wait(point: GuestOrderPoint) -> int:
    """Seconds left while the room's QR code refuses to charge (too many wrong surnames)."""
    return failures_locked_wait(
        key=_confirm_key(point), limit=CONFIRM_MAX_FAILURES, window=CONFIRM_LOCK_SECONDS
    )


def _room_stay(point: GuestOrderPoint, confirm: str):
    """The in-house stay of the point's room whose guest's surname or booking reference is
    `confirm`. Wrong answers are counted per room (the PIN limiter): CONFIRM_MAX_FAILURES
    lock the room's charge for CONFIRM_LOCK_SECONDS, for every phone."""
    if wait := room_confirm_wait(point):
        minutes = -(-wait // 60)
        raise ConfirmLocked(
            ngettext(
                "Too many tries: charging to room %(number)s is locked for %(minutes)s minute.",
                "Too many tries: charging to room %(number)s is locked for %(minutes)s minutes.",
                minutes,
            )
            % {"number": point.room.number, "minutes": minutes}
        )
    stay = in_house_room(property=point.property, room_number=point.room.number)
    if stay is None or stay.reservation.folio_id is None:
        raise NotInHouse(
            _("Room %(number)s has no guest in house: nothing can be charged to it.")
            % {"number": point.room.number}
        )
    answer = _normalised(confirm)
    reservation = stay.reservation
    if not answer or answer not in (
        _normalised(reservation.guest.last_name if reservation.guest else ""),
        _normalised(reservation.reference),
    ):
        failures_count(key=_confirm_key(point), window=CONFIRM_LOCK_SECONDS)
        raise PermissionDenied(
            _("This name does not match the guest of room %(number)s.")
            % {"number": point.room.number}
        )
    return stay


def _off_menu(point: GuestOrderPoint, product_id) -> None:
    """Raise why a posted product is not on the point's menu: not sold on its channel (said
    so, by name), else not on the menu. The refusal's path alone reads the product."""
    from inventory.models import Product
    from inventory.services.catalogue import product_channel_check

    product = Product.objects.filter(pk=product_id, property_id=point.property_id).first()
    if product is not None:
        product_channel_check(product=product, channel=point_channel(point))
    raise InvalidInput(_("This item is not on the menu."))


def _checked_lines(point: GuestOrderPoint, lines: Sequence[GuestLine], menu_products: dict):
    """The order's lines as quote inputs, each checked against the outlet's guest menu:
    on it, not sold out, its required choices made. Raises before anything is written."""
    if not lines:
        raise InvalidInput(_("Choose at least one item."))
    inputs = []
    for line in lines:
        product = menu_products.get(line.product_id)
        if product is None:
            _off_menu(point, line.product_id)
        if not 1 <= int(line.quantity) <= MAX_LINE_QUANTITY:
            raise InvalidInput(_("Order 1 to %(max)s of each item.") % {"max": MAX_LINE_QUANTITY})
        product_line_check(
            product=product, modifier_ids=line.modifier_ids, groups=product.modifier_groups.all()
        )
        allowed = {m.pk for g in product.modifier_groups.all() for m in g.modifiers.all()}
        if not set(line.modifier_ids) <= allowed:
            raise InvalidInput(
                _("This choice is not offered for %(name)s.") % {"name": product.name}
            )
        inputs.append(
            QuoteLineInput(
                product_id=product.pk,
                quantity=Decimal(int(line.quantity)),
                modifier_ids=tuple(line.modifier_ids),
                note=(line.note or "").strip()[:200],
            )
        )
    return inputs


def _replay(point: GuestOrderPoint, client_key: str) -> GuestOrder | None:
    found = GuestOrder.objects.filter(client_key=client_key).first()
    if found is not None and found.point_id != point.pk:
        raise IdempotencyConflict()
    return found


def outlet_order_check(outlet: Outlet, *, now: datetime | None = None, room: bool = False):
    """Raises Conflict when the outlet takes no order now: paused, closed, or the kitchen
    already has its most open orders (received or accepted in the last hour)."""
    if (reason := outlet_taking_orders(outlet, now=now, room=room)) is not None:
        raise Conflict(reason)
    since = (now or timezone.now()) - OPEN_ORDER_WINDOW
    busy = GuestOrder.objects.filter(
        outlet=outlet,
        status__in=(GuestOrder.Status.RECEIVED, GuestOrder.Status.ACCEPTED),
        created_at__gte=since,
    ).count()
    if busy >= outlet.guest_orders_max_open:
        raise Conflict(_("The kitchen has many orders right now: please try again in a while."))


def guest_order_place(
    *,
    point: GuestOrderPoint,
    lines: Sequence[GuestLine],
    client_key: str,
    menu_products: dict,
    confirm: str = "",
    now: datetime | None = None,
) -> GuestOrder:
    """Place a guest's order from the point's QR menu (`menu_products`: {pk: Product} of
    that menu, as pos.guest_menu holds them).

    A table's order waits for a waiter (`guest_order_accept`) when the outlet asks for it,
    else joins the tab and goes to the stations at once. A room's order is the counter's
    sale (`sale_checkout`, ticket CHARGED_TO_ROOM, folio lines with their VAT) for the
    in-house guest confirmed by `confirm` (surname or booking reference).
    Idempotent: the same `client_key` (the menu page's) returns the first order.
    Raises: Conflict (paused, closed, too many open orders), InvalidInput/ChoiceRequired,
    SoldOut (the last one went to another phone), NotInHouse (a room without a guest in
    house), PermissionDenied/ConfirmLocked (a wrong surname); nothing written on any."""
    client_key = (client_key or "").strip()[:100]
    if not client_key:
        raise InvalidInput(_("Reload the menu and order again."))
    outlet = point.outlet
    is_room = point.kind == GuestOrderPoint.Kind.ROOM
    try:
        outlet_order_check(outlet, now=now, room=is_room)
        inputs, products = _with_fee(
            point, _checked_lines(point, lines, menu_products), menu_products
        )
        stay = _room_stay(point, confirm) if is_room else None
        stored = [
            {
                "product_id": i.product_id,
                "quantity": int(i.quantity),
                "modifier_ids": list(i.modifier_ids),
                "note": i.note,
            }
            for i in inputs
        ]
        with transaction.atomic():
            if is_room:
                # the order row takes the page's key first: a phone resubmitting waits for
                # the first attempt, then conflicts and is answered with its order
                sale = sale_checkout(
                    SaleRequest(
                        property=point.property,
                        terminal=point.terminal,
                        actor=guest_actor(),
                        lines=inputs,
                        room_number=point.room.number,
                        stay=stay,
                        products=products,
                        client_key=f"guest:{client_key}",
                        # this transaction rolls back with the sale
                        caller_replays=True,
                        refuse_sold_out=True,
                    )
                )
                priced, order, status = sale.lines, sale.order, GuestOrder.Status.CHARGED
                total = sale.order.ticket.total
            else:
                quoted = quote(
                    property=point.property,
                    channel=Channel.POS,
                    lines=inputs,
                    products=menu_products,
                )
                priced, order, status = quoted.lines, None, GuestOrder.Status.RECEIVED
                total = quoted.total
            guest_order = GuestOrder.objects.create(
                property=point.property,
                outlet=outlet,
                point=point,
                client_key=client_key,
                status=status,
                order=order,
                total=total,
                lines=[
                    {**line, "description": p.description, "total": str(p.total)}
                    for line, p in zip(stored, priced, strict=True)
                ],
            )
            if point.kind == GuestOrderPoint.Kind.TABLE and not outlet.guest_orders_need_acceptance:
                _join_tab(guest_order, actor=guest_actor(), point=point)
            elif status == GuestOrder.Status.CHARGED:
                _to_stations(guest_order, actor=guest_actor(), products=products)
    except (IntegrityError, DomainError):
        # the same key committed meanwhile (a phone resubmitting, the last brownie it got
        # then looking sold out): its order is the answer. A new order pays no lookup.
        if (found := _replay(point, client_key)) is not None:
            return found
        raise
    return guest_order


def _to_stations(guest_order: GuestOrder, *, actor, products: dict | None = None) -> None:
    """A guest's order sold at once (a room's, a kiosk's) to the kitchen display and the
    station printers, headed by its room or kiosk number in the property's language (the
    cooks', not the guest's phone's). In the sale's transaction."""
    with translation.override(guest_order.point.property.default_language):
        place = guest_order.place()
    guest_order_send(guest_order=guest_order, place=place, actor=actor, products=products)


def collect_kitchen_due(guest_order: GuestOrder, *, now: datetime | None = None):
    """When a click-and-collect order goes to the stations: None (at once) for a pickup
    today (the property's local day); for a later day's, its pickup time less the outlet's
    `collect_kitchen_lead_minutes` — unless that time has already come."""
    if guest_order.pickup_slot_id is None:
        return None
    now = now or timezone.now()
    tz = guest_order.property.tz
    starts_at = guest_order.pickup_slot.starts_at
    if timezone.localtime(starts_at, tz).date() <= timezone.localtime(now, tz).date():
        return None
    due = starts_at - timedelta(minutes=guest_order.outlet.collect_kitchen_lead_minutes)
    return due if due > now else None


def _to_stations_when_due(
    guest_order: GuestOrder, *, actor, products: dict | None = None, now: datetime | None = None
) -> None:
    """A click-and-collect order to the stations now (a pickup today), or scheduled for its
    day (`kitchen_due_at`, sent by `collect_kitchen_send_due`): the kitchen display and the
    printers do not fill up with next week's orders. In the caller's transaction."""
    due = collect_kitchen_due(guest_order, now=now)
    if due is None:
        _to_stations(guest_order, actor=actor, products=products)
        return
    GuestOrder.objects.filter(pk=guest_order.pk).update(kitchen_due_at=due)
    guest_order.kitchen_due_at = due


def _join_tab(guest_order: GuestOrder, *, actor, point: GuestOrderPoint) -> None:
    """The accepted order on its table's tab (opened for it when the table is free), sent
    to the stations as the waiter's Send does (every course: the guest ordered now)."""
    table = point.table
    tab = TableTab.objects.filter(table=table, status=TableTab.Status.OPEN).first()
    if tab is None:
        tab = table_open(table=table, covers=1, actor=actor)
    tab.property = point.property
    products = guest_menu_products(point=point)
    added = []
    for line in guest_order.lines:
        product = products.get(line["product_id"])
        if product is None:
            raise InvalidInput(_("This item is not on the menu."))
        added.append(
            tab_add_line(
                tab=tab,
                product=product,
                actor=actor,
                quantity=Decimal(line["quantity"]),
                modifier_ids=line["modifier_ids"],
                note=line.get("note", ""),
            ).pk
        )
    TabLine.objects.filter(pk__in=added).update(guest_order=guest_order)
    tab_send(tab=tab, actor=actor)
    # the guest ordered everything now: no course of this order is held
    while TabLine.objects.filter(
        pk__in=added, kitchen_ticket__isnull=True, voided_at__isnull=True
    ).exists():
        if not tab_send(tab=tab, actor=actor, fire_next=True):
            break
    guest_order.tab = tab
    guest_order.status = GuestOrder.Status.ACCEPTED
    guest_order.decided_by = actor
    guest_order.decided_at = timezone.now()
    guest_order.save(update_fields=["tab", "status", "decided_by", "decided_at", "updated_at"])
    audit_log(
        action="pos.guest_order.accepted",
        property=point.property,
        actor=actor,
        target=guest_order,
        channel="pos",
        data={"table": table.label, "total": str(guest_order.total)},
    )


def _locked_received(guest_order: GuestOrder, property) -> GuestOrder:
    locked = (
        GuestOrder.objects.select_for_update(of=("self",))
        .select_related("point__table", "point__property", "point__outlet")
        .filter(pk=guest_order.pk, property=property)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such order."))
    if locked.status == GuestOrder.Status.CANCELLED:
        raise Conflict(
            _("This order was cancelled: it was not paid in time. Sell it again at the counter.")
        )
    if locked.status != GuestOrder.Status.RECEIVED:
        raise Conflict(_("This order was already answered."))
    return locked


def guest_order_accept(*, guest_order: GuestOrder, property, actor) -> GuestOrder:
    """A waiter accepts a table's order: it joins the tab and goes to the stations.
    Locks: the guest order, then the tab. Raises Conflict when already answered."""
    with transaction.atomic():
        locked = _locked_received(guest_order, property)
        if locked.point.kind != GuestOrderPoint.Kind.TABLE:
            raise Conflict(_("Only a table's order joins a tab."))
        _join_tab(locked, actor=actor, point=locked.point)
    return locked


def guest_order_refuse(*, guest_order: GuestOrder, property, actor, reason: str) -> GuestOrder:
    """A waiter refuses a table's order (nothing was sold, nothing held: nothing to give
    back); the guest's status page says why."""
    with transaction.atomic():
        locked = _locked_received(guest_order, property)
        locked.status = GuestOrder.Status.REFUSED
        locked.refusal_reason = (reason or "").strip()[:200]
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(
            update_fields=["status", "refusal_reason", "decided_by", "decided_at", "updated_at"]
        )
        audit_log(
            action="pos.guest_order.refused",
            property=locked.property,
            actor=actor,
            target=locked,
            channel="pos",
            data={"reason": locked.refusal_reason},
        )
    return locked


def guest_order_on_its_way(*, guest_order: GuestOrder, property, actor) -> GuestOrder:
    """Room service left with the tray (the guest's page says "on its way")."""
    updated = GuestOrder.objects.filter(
        pk=guest_order.pk,
        property=property,
        point__kind=GuestOrderPoint.Kind.ROOM,
        status__in=(GuestOrder.Status.CHARGED, GuestOrder.Status.PAID),
    ).update(status=GuestOrder.Status.ON_ITS_WAY, updated_at=timezone.now())
    if not updated:
        raise Conflict(_("This order is not waiting to leave."))
    guest_order.status = GuestOrder.Status.ON_ITS_WAY
    return guest_order


# what the guest's page says, from the order and its lines' kitchen tickets
PROGRESS = ("received", "in_preparation", "ready", "on_its_way")
COLLECT_PROGRESS = ("received", "in_preparation", "ready", "handed_over")


def guest_order_progress(guest_order: GuestOrder) -> str:
    """received, in_preparation, ready, on_its_way (or refused): from the order's status and
    the kitchen tickets of its lines (a ticket bumped is ready, served is on its way)."""
    status = guest_order.status
    if status == GuestOrder.Status.REFUSED:
        return "refused"
    if status == GuestOrder.Status.READY:
        return "ready"  # click-and-collect: the staff packed it
    if status == GuestOrder.Status.HANDED_OVER:
        return "handed_over"
    if status == GuestOrder.Status.ON_ITS_WAY:
        return "on_its_way"
    if status in (GuestOrder.Status.NO_SHOW, GuestOrder.Status.CANCELLED):
        return "refused"  # not collected in time, or a kiosk's order never paid
    if guest_order.kitchen_due_at is not None:
        return "received"  # a later day's order: the kitchen gets it on its day
    if status in (
        GuestOrder.Status.CHARGED,
        GuestOrder.Status.PAID,
        GuestOrder.Status.TO_PAY,
    ) and not (guest_order.kitchen_tickets.exists()):
        return "in_preparation"  # nothing for the stations (a shop item), or not sent yet
    if status in (GuestOrder.Status.RECEIVED, GuestOrder.Status.AWAITING_PAYMENT):
        return "received"
    tickets = {
        line.kitchen_ticket
        for line in guest_order.tab_lines.select_related("kitchen_ticket")
        if line.kitchen_ticket_id and line.voided_at is None
    }
    if not tickets or any(t.status != t.Status.BUMPED for t in tickets):
        return "in_preparation"
    if all(t.served_at for t in tickets):
        return "on_its_way"
    return "ready"


def guest_order_pay_at_counter(
    *, guest_order: GuestOrder, property, terminal: Terminal, actor, tenders: Sequence
) -> GuestOrder:
    """The counter takes the payment of a kiosk's order by its ticket number: the counter's
    own sale (`sale_checkout` at the cashier's terminal: ticket, payments, journal) of the
    lines the guest chose, with their modifiers. Locks: the guest order, then the sale's.
    Idempotent: the sale's key is the order's. Raises Conflict when already paid."""
    with transaction.atomic():
        locked = _locked_received(guest_order, property)
        if locked.point.kind != GuestOrderPoint.Kind.KIOSK:
            raise Conflict(_("This order is not paid at the counter."))
        sale = sale_checkout(
            SaleRequest(
                property=property,
                terminal=terminal,
                actor=actor,
                lines=stored_lines_as_input(locked.lines),
                tenders=tenders,
                client_key=f"kiosk:{locked.client_key}",
                caller_replays=True,
            )
        )
        locked.order = sale.order
        locked.status = GuestOrder.Status.PAID
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["order", "status", "decided_by", "decided_at", "updated_at"])
        _to_stations(locked, actor=actor)
    return locked


def _online_gateway():
    from pms.services.payment_gateway import PaymentGateway

    return PaymentGateway.from_settings()


def online_payment_available() -> bool:
    """A card provider is configured (the booking engine's, docs/payments.md)."""
    from django.conf import settings

    return bool(settings.PAYMENT_PROVIDER_SECRET_KEY)


def guest_order_pay_online_start(
    *,
    point: GuestOrderPoint,
    lines: Sequence[GuestLine],
    client_key: str,
    menu_products: dict,
    return_url: str,
) -> tuple[GuestOrder, str]:
    """A room's order paid by card on the provider's page (the booking engine's gateway:
    a PaymentIntent, created outside any transaction, the provider's idempotency key being
    the page's; `return_url` names the order's page with `{public_id}`). Returns the order
    (AWAITING_PAYMENT) and the provider's page. The sale is
    made when the payment succeeds (`guest_order_online_refresh`). Idempotent on the key.
    Raises what `guest_order_place` raises before writing, OnlinePaymentUnavailable."""
    from pms.services.online_payments import OnlinePaymentUnavailable, from_cents, to_cents
    from pms.services.payment_gateway import GatewayError

    client_key = (client_key or "").strip()[:100]
    if not client_key:
        raise InvalidInput(_("Reload the menu and order again."))
    if not online_payment_available():
        raise OnlinePaymentUnavailable(_("Online payment is not available here."))
    gateway = _online_gateway()
    found = _replay(point, client_key)
    if found is not None and found.status == GuestOrder.Status.AWAITING_PAYMENT:
        intent = gateway.intent_retrieve(found.intent_id)
        back = return_url.format(public_id=found.public_id)
        return found, gateway.hosted_page_url(intent, return_url=back)
    if found is not None:
        return found, return_url.format(public_id=found.public_id)
    if (reason := outlet_taking_orders(point.outlet, room=True)) is not None:
        raise Conflict(reason)
    inputs, products = _with_fee(point, _checked_lines(point, lines, menu_products), menu_products)
    quoted = quote(property=point.property, channel=Channel.POS, lines=inputs, products=products)
    try:
        intent = gateway.intent_create(
            amount_cents=to_cents(quoted.total),
            currency=point.property.currency,
            metadata={"guest_order": client_key, "property": point.property.slug},
            idempotency_key=f"auberge-guest-order-{client_key}",
        )
    except GatewayError:
        raise OnlinePaymentUnavailable(
            _("Online payment is not available at the moment. Please try again in a minute.")
        )
    public_id = uuid.uuid4()
    try:
        guest_order = GuestOrder.objects.create(
            property=point.property,
            outlet=point.outlet,
            point=point,
            public_id=public_id,
            client_key=client_key,
            status=GuestOrder.Status.AWAITING_PAYMENT,
            total=from_cents(intent["amount"]),
            intent_id=intent["id"],
            lines=stored_lines(inputs, quoted.lines),
        )
    except IntegrityError:  # a double tap recorded it first (the same intent: same key)
        guest_order = _replay(point, client_key)
    back = return_url.format(public_id=guest_order.public_id)
    return guest_order, gateway.hosted_page_url(intent, return_url=back)


def guest_order_online_refresh(*, guest_order: GuestOrder) -> GuestOrder:
    """Ask the provider about an order awaiting its card payment; once it succeeded, make
    the sale (`sale_checkout`, a card tender with the intent as reference, idempotent on the
    order's key). A dish sold out meanwhile: the order is refused and the card refunded."""
    if guest_order.status != GuestOrder.Status.AWAITING_PAYMENT:
        return guest_order
    from pms.services.online_payments import to_cents
    from pms.services.payment_gateway import GatewayError

    gateway = _online_gateway()
    try:
        intent = gateway.intent_retrieve(guest_order.intent_id)
    except GatewayError:
        return guest_order
    if intent.get("status") != "succeeded":
        return guest_order
    point = guest_order.point
    from billing.models import Payment
    from billing.services.payments import TenderInput

    try:
        with transaction.atomic():
            locked = GuestOrder.objects.select_for_update().get(pk=guest_order.pk)
            if locked.status != GuestOrder.Status.AWAITING_PAYMENT:
                return locked
            collect = locked.pickup_slot_id is not None
            if collect:
                collect_slot_recheck(locked)
            sale = sale_checkout(
                SaleRequest(
                    property=point.property,
                    terminal=point.terminal,
                    actor=guest_actor(),
                    lines=stored_lines_as_input(locked.lines),
                    tenders=[
                        TenderInput(
                            method=Payment.Method.CARD,
                            amount=locked.total,
                            terminal_reference=locked.intent_id,
                        )
                    ],
                    client_key=f"online:{locked.client_key}",
                    caller_replays=True,
                    # an order ahead: a dish 86'd since is refused (and refunded)
                    refuse_sold_out=collect,
                )
            )
            locked.order = sale.order
            locked.status = GuestOrder.Status.PAID
            locked.save(update_fields=["order", "status", "updated_at"])
            if collect:
                _to_stations_when_due(locked, actor=guest_actor())
            else:
                _to_stations(locked, actor=guest_actor())
            if collect:
                collect_email(locked, "confirmed")
            return locked
    except DomainError as exc:
        GuestOrder.objects.filter(pk=guest_order.pk).update(
            status=GuestOrder.Status.REFUSED, refusal_reason=str(exc.message)[:200]
        )
        try:  # after the rollback: the card is given back, nothing was sold
            gateway.refund_create(
                intent_id=guest_order.intent_id,
                amount_cents=to_cents(guest_order.total),
                reason="requested_by_customer",
                idempotency_key=f"auberge-guest-refund-{guest_order.client_key}",
            )
        except GatewayError as refund_error:
            logger.warning(
                "refund of guest order %s failed: %s", guest_order.client_key, refund_error
            )
        guest_order.refresh_from_db()
        return guest_order


ONLINE_REFRESH_TASK = "pos.tasks.guest_order_online_refresh_task"


def guest_order_intent_seen(intent: dict, event_type: str) -> None:
    """The provider's webhook says a guest's card payment succeeded: a worker makes the sale
    (`guest_order_online_refresh`, which asks the provider again outside any transaction), so
    a guest who paid and closed the page is served without anyone opening the status page.
    Called in the transaction that records the event: the task leaves through the outbox."""
    if event_type != "payment_intent.succeeded":
        return
    guest_order = (
        GuestOrder.objects.filter(
            intent_id=str(intent.get("id", "")), status=GuestOrder.Status.AWAITING_PAYMENT
        )
        .select_related("property")
        .first()
    )
    if guest_order is not None:
        outbox_enqueue(
            task=ONLINE_REFRESH_TASK,
            kwargs={"guest_order_id": guest_order.pk},
            property=guest_order.property,
        )


def guest_order_online_refresh_by_id(*, guest_order_id: int) -> str:
    """The worker's side of `guest_order_intent_seen`: the order's status after the refresh."""
    guest_order = GuestOrder.objects.filter(pk=guest_order_id).first()
    if guest_order is None:
        return ""
    return guest_order_online_refresh(guest_order=guest_order).status
