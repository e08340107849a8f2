"""Click-and-collect (issue 25): a guest orders ahead on the outlet's public page for a pickup
time, pays online through the booking engine's provider (the same flow as a room's card
payment: `guest_order_online_refresh` makes the sale once the provider says it is paid), and
the order goes to the stations headed "À emporter · 12:30 · name". The staff marks it ready
(the guest's page and an e-mail say so) and handed over.

Pickup times are capacity: each slot holds at most `capacity` orders, counted under the
slot's row lock (`pos.lock_objects.pickup_slot_for_update`), so two phones taking the last
place are served one after the other. An order waiting for its payment holds its place for
HOLD; after it, unpaid, the place is for sale again without anyone releasing it."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import Conflict, InvalidInput, NotFound
from inventory.models import Channel
from inventory.services.capacity import capacity_consume, capacity_release
from inventory.services.pricing import quote
from pos.lock_objects import pickup_slot_for_update
from pos.models import GuestOrder, GuestOrderPoint, PickupSlot
from pos.services.checkout import SaleRequest, _capacity_needs, sale_checkout
from pos.services.guest_orders import (
    GuestLine,
    _checked_lines,
    _online_gateway,
    _replay,
    _to_stations,
    _to_stations_when_due,
    guest_actor,
    online_payment_available,
    outlet_taking_orders,
    stored_lines,
    stored_lines_as_input,
)
from pos.services.pickup_slots import (  # noqa: F401 - named here too
    EMAIL_TASK,
    HOLD,
    KEPT,
    collect_email,
    collect_slot_recheck,
    holding,
)

# the furthest ahead a pickup may be booked, whatever the outlet's setting
MAX_DAYS_AHEAD = 30


@dataclass(frozen=True)
class SlotOffer:
    starts_at: datetime
    left: int

    @property
    def value(self) -> str:
        return self.starts_at.isoformat()


def collect_days(outlet, *, now: datetime | None = None) -> list[date]:
    """The days a guest may collect on: today up to `collect_days_ahead` days ahead (the
    property's local days), but those the outlet is closed and those with no time left."""
    now = now or timezone.now()
    today = timezone.localtime(now, outlet.property.tz).date()
    closed = {int(d) for d in (outlet.collect_closed_weekdays or [])}
    days = []
    for ahead in range(min(outlet.collect_days_ahead, MAX_DAYS_AHEAD) + 1):
        day = today + timedelta(days=ahead)
        if day.isoweekday() in closed:
            continue
        if ahead == 0 and not _slot_times(outlet, now=now, day=day):
            continue  # today's last pickup has gone
        days.append(day)
    return days


def _slot_times(outlet, *, now: datetime, day: date | None = None) -> list[datetime]:
    """The pickup times of `day` (default today, the property's local day) from now + the
    outlet's lead time, every slot length, within its opening hours (empty hours: the whole
    day). A later day's are all its times."""
    tz = outlet.property.tz
    local = timezone.localtime(now, tz)
    day = day or local.date()
    step = timedelta(minutes=max(outlet.collect_slot_minutes, 5))
    opens = datetime.combine(day, outlet.opens_at or datetime.min.time(), tzinfo=tz)
    if outlet.kitchen_closes_at and outlet.kitchen_closes_at > (
        outlet.opens_at or datetime.min.time()
    ):
        last = datetime.combine(day, outlet.kitchen_closes_at, tzinfo=tz)
    else:  # open all day: the last pickup before midnight (midnight is the next day's)
        last = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz) - step
    earliest = local + timedelta(minutes=outlet.collect_lead_minutes)
    times, at = [], opens
    while at <= last:
        if at >= earliest:
            times.append(at)
        at += step
    return times


def collect_slots(
    *, outlet, now: datetime | None = None, day: date | None = None
) -> list[SlotOffer]:
    """The pickup times of `day` (default the first day offered) still offered and how many
    places each has left (one query; none on a day not offered)."""
    now = now or timezone.now()
    days = collect_days(outlet, now=now)
    if day is None:
        day = days[0] if days else None
    if day is None or day not in days:
        return []
    times = _slot_times(outlet, now=now, day=day)
    if not times:
        return []
    taken = {
        slot.starts_at: (slot.capacity, slot.taken)
        for slot in PickupSlot.objects.filter(
            outlet=outlet, starts_at__gte=times[0], starts_at__lte=times[-1]
        ).annotate(taken=Count("orders", filter=holding(now)))
    }
    offers = []
    for at in times:
        capacity, used = taken.get(at, (outlet.collect_slot_capacity, 0))
        offers.append(SlotOffer(starts_at=at, left=max(capacity - used, 0)))
    return offers


def _slot_time(outlet, raw, now: datetime) -> datetime:
    """The pickup time the guest chose, if it is one still offered on a day offered."""
    try:
        chosen = datetime.fromisoformat(str(raw or ""))
    except ValueError:
        chosen = None
    if chosen is None or chosen.tzinfo is None:
        raise InvalidInput(_("Choose a pickup time."))
    day = timezone.localtime(chosen, outlet.property.tz).date()
    offered = _slot_times(outlet, now=now, day=day) if day in collect_days(outlet, now=now) else []
    if chosen not in offered:
        raise InvalidInput(_("Choose a pickup time."))
    return next(at for at in offered if at == chosen)


def _order_create(point, checked, slot, client_key: str, status: str, **extra) -> GuestOrder:
    """The collect order both starts write (paid online, or to pay at pickup): the checked
    basket and the held slot, in the guest's language."""
    return GuestOrder.objects.create(
        property=point.property,
        outlet=point.outlet,
        point=point,
        public_id=uuid.uuid4(),
        client_key=client_key,
        status=status,
        total=checked.quoted.total,
        pickup_slot=slot,
        customer_name=checked.name,
        customer_email=checked.email,
        language=translation.get_language() or "fr",
        lines=stored_lines(checked.inputs, checked.quoted.lines),
        **extra,
    )


def _slot_hold(*, outlet, starts_at: datetime, now: datetime) -> PickupSlot:
    """The slot locked with a place left for one more order, else Conflict. In the caller's
    transaction: the place is taken by the order the caller writes before commit."""
    slot = pickup_slot_for_update(
        outlet=outlet, starts_at=starts_at, capacity=outlet.collect_slot_capacity
    )
    used = (
        PickupSlot.objects.filter(pk=slot.pk)
        .annotate(taken=Count("orders", filter=holding(now)))
        .values_list("taken", flat=True)
        .get()
    )
    if used >= slot.capacity:
        local = timezone.localtime(starts_at, outlet.property.tz)
        raise Conflict(
            _("The %(time)s pickup is full: choose another time.")
            % {"time": local.strftime("%H:%M")}
        )
    return slot


@dataclass(frozen=True)
class _Checked:
    inputs: list
    quoted: object
    starts_at: datetime
    name: str
    email: str


def _collect_checked(
    *, point, lines, menu_products: dict, sold_out: set, pickup_at, name: str, email: str, now
) -> _Checked:
    """A click-and-collect order's checks, nothing written: the outlet takes orders (not
    paused; for today's pickup its kitchen open now), each dish on this page's menu (offered
    for click-and-collect) and not sold out, its required choices made, the pickup time one
    still offered, a name and an e-mail; then the quote."""
    outlet = point.outlet
    tz = outlet.property.tz
    chosen = _when(pickup_at)
    # a later day's pickup is taken while the kitchen is closed now (not while paused)
    later = chosen is not None and (
        timezone.localtime(chosen, tz).date() > timezone.localtime(now, tz).date()
    )
    reason = outlet_taking_orders(outlet, now=now)
    if reason is not None and (outlet.guest_orders_paused or not later):
        raise Conflict(reason)
    inputs = _checked_lines(point, lines, menu_products)
    for line in inputs:
        if line.product_id in sold_out:
            raise Conflict(
                _("%(name)s is sold out: take it off your order.")
                % {"name": menu_products[line.product_id].name}
            )
    name = " ".join((name or "").split())[:100]
    if not name:
        raise InvalidInput(_("Enter the name the order is collected under."))
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_("Enter a valid e-mail address: the confirmation is sent there."))
    starts_at = _slot_time(outlet, pickup_at, now)
    quoted = quote(
        property=point.property, channel=Channel.POS, lines=inputs, products=menu_products
    )
    return _Checked(inputs=inputs, quoted=quoted, starts_at=starts_at, name=name, email=email)


def _when(raw) -> datetime | None:
    try:
        chosen = datetime.fromisoformat(str(raw or ""))
    except ValueError:
        return None
    return chosen if chosen.tzinfo is not None else None


def collect_order_start(
    *,
    point: GuestOrderPoint,
    lines: Sequence[GuestLine],
    client_key: str,
    menu_products: dict,
    sold_out: set,
    pickup_at,
    name: str,
    email: str,
    return_url: str,
    now: datetime | None = None,
) -> tuple[GuestOrder, str]:
    """A click-and-collect order for a pickup time, paid by card on the provider's page.

    Checks (nothing written when one fails): those of `_collect_checked`. Then the slot is
    held under its lock (Conflict when full) by the order row (AWAITING_PAYMENT), and the
    provider's intent is made outside any transaction (keyed by the page: a double tap is
    the same). Returns the order and the provider's page. Idempotent on `client_key`."""
    from pms.services.online_payments import OnlinePaymentUnavailable, from_cents, to_cents
    from pms.services.payment_gateway import GatewayError

    now = now or timezone.now()
    client_key = (client_key or "").strip()[:100]
    if not client_key:
        raise InvalidInput(_("Reload the menu and order again."))
    if not online_payment_available():
        raise OnlinePaymentUnavailable(_("Online payment is not available here."))
    if point.kind != GuestOrderPoint.Kind.COLLECT:
        raise InvalidInput(_("This page takes no click-and-collect order."))
    found = _replay(point, client_key)
    if found is None:
        outlet = point.outlet
        checked = _collect_checked(
            point=point,
            lines=lines,
            menu_products=menu_products,
            sold_out=sold_out,
            pickup_at=pickup_at,
            name=name,
            email=email,
            now=now,
        )
        with transaction.atomic():
            slot = _slot_hold(outlet=outlet, starts_at=checked.starts_at, now=now)
            found = _order_create(
                point, checked, slot, client_key, GuestOrder.Status.AWAITING_PAYMENT
            )
    back = return_url.format(public_id=found.public_id)
    if found.status != GuestOrder.Status.AWAITING_PAYMENT:
        return found, back
    gateway = _online_gateway()
    try:
        if found.intent_id:
            intent = gateway.intent_retrieve(found.intent_id)
        else:
            intent = gateway.intent_create(
                amount_cents=to_cents(found.total),
                currency=point.property.currency,
                metadata={"guest_order": client_key, "property": point.property.slug},
                idempotency_key=f"auberge-guest-order-{client_key}",
            )
            GuestOrder.objects.filter(pk=found.pk).update(intent_id=intent["id"])
            found.intent_id = intent["id"]
            if from_cents(intent["amount"]) != found.total:  # never: the amount we asked
                raise GatewayError("amount")
    except GatewayError:
        # the place is given back: nothing was paid
        GuestOrder.objects.filter(pk=found.pk, intent_id="").update(
            status=GuestOrder.Status.REFUSED,
            refusal_reason=_("Online payment was not available."),
        )
        raise OnlinePaymentUnavailable(
            _("Online payment is not available at the moment. Please try again in a minute.")
        )
    return found, gateway.hosted_page_url(intent, return_url=back)


def collect_hold_reference(guest_order: GuestOrder) -> str:
    """The capacity reference of what an order to pay at pickup holds (its stock)."""
    return f"collect-hold:{guest_order.public_id}"


def collect_order_pay_at_pickup(
    *,
    point: GuestOrderPoint,
    lines: Sequence[GuestLine],
    client_key: str,
    menu_products: dict,
    sold_out: set,
    pickup_at,
    name: str,
    email: str,
    now: datetime | None = None,
) -> GuestOrder:
    """A click-and-collect order the guest pays at the counter when collecting it (when the
    outlet allows it). Nothing is sold yet: no ticket, no payment, no journal entry — the
    cashier's sale at handover is (`collect_order_paid_and_handed_over`).

    Checks: those of `_collect_checked`. Then, in one transaction: the slot's place under its
    lock (Conflict when full), the order row (TO_PAY, `hold_until` the slot's end plus the
    outlet's grace), its stock held until then (SoldOut when the last one went meanwhile),
    the dishes to the stations headed "Takeaway · time · name", the guest's confirmation
    e-mail. Released with its stock by `collect_no_shows_release` when not collected.
    Idempotent on `client_key` (a double tap returns the first order)."""
    now = now or timezone.now()
    client_key = (client_key or "").strip()[:100]
    if not client_key:
        raise InvalidInput(_("Reload the menu and order again."))
    if point.kind != GuestOrderPoint.Kind.COLLECT:
        raise InvalidInput(_("This page takes no click-and-collect order."))
    outlet = point.outlet
    if not outlet.collect_pay_at_pickup:
        raise InvalidInput(
            _("%(outlet)s takes no payment at pickup: pay by card online.")
            % {"outlet": outlet.name}
        )
    if (found := _replay(point, client_key)) is not None:
        return found
    checked = _collect_checked(
        point=point,
        lines=lines,
        menu_products=menu_products,
        sold_out=sold_out,
        pickup_at=pickup_at,
        name=name,
        email=email,
        now=now,
    )
    hold_until = checked.starts_at + timedelta(
        minutes=max(outlet.collect_slot_minutes, 5) + outlet.collect_grace_minutes
    )
    actor = guest_actor()
    try:
        with transaction.atomic():
            slot = _slot_hold(outlet=outlet, starts_at=checked.starts_at, now=now)
            order = _order_create(
                point, checked, slot, client_key, GuestOrder.Status.TO_PAY, hold_until=hold_until
            )
            order.pickup_slot = slot
            pools = {
                line.product.capacity_pool_id: line.product.capacity_pool
                for line in checked.quoted.lines
                if line.product.capacity_pool_id
            }
            capacity_consume(
                property=point.property,
                needs=_capacity_needs(checked.quoted.lines),
                channel=Channel.POS,
                reference=collect_hold_reference(order),
                hold_until=hold_until,
                pools=pools,
            )
            _to_stations_when_due(order, actor=actor, products=menu_products, now=now)
            collect_email(order, "to_pay")
    except IntegrityError:  # the same key committed meanwhile: a double tap
        if (found := _replay(point, client_key)) is not None:
            return found
        raise
    return order


def _mark(
    *, guest_order: GuestOrder, property, actor, start, to, field, action, kind=None, sold=None
):
    with transaction.atomic():
        found = GuestOrder.objects.filter(
            pk=guest_order.pk,
            property=property,
            point__kind=GuestOrderPoint.Kind.COLLECT,
            status__in=start,
        )
        if sold is not None:
            found = found.filter(order__isnull=not sold)
        updated = found.update(status=to, **{field: timezone.now()}, updated_at=timezone.now())
        if not updated:
            guest_order.refresh_from_db(fields=["status", "order"])
            if (
                sold
                and guest_order.order_id is None
                and guest_order.status in (*start, GuestOrder.Status.TO_PAY)
            ):
                raise Conflict(_("This order is to pay: take the payment first."))
            raise Conflict(_("This order has already moved on: reload the list."))
        guest_order.refresh_from_db()
        audit_log(
            action=action,
            property=property,
            actor=actor,
            target=guest_order,
            channel="pos",
            data={"place": guest_order.place()},
        )
        if kind:
            collect_email(guest_order, kind)
    return guest_order


def collect_order_ready(*, guest_order: GuestOrder, property, actor) -> GuestOrder:
    """The order is packed and waiting at the counter: the guest's page says ready and an
    e-mail tells the guest. Raises Conflict unless paid (or to pay at pickup) and not yet
    ready."""
    return _mark(
        guest_order=guest_order,
        property=property,
        actor=actor,
        start=(GuestOrder.Status.PAID, GuestOrder.Status.TO_PAY),
        to=GuestOrder.Status.READY,
        field="ready_at",
        action="pos.collect_order.ready",
        kind="ready",
    )


def collect_order_handed_over(*, guest_order: GuestOrder, property, actor) -> GuestOrder:
    """The guest took an order paid online. Raises Conflict unless paid or ready (an order
    to pay at pickup is handed over by `collect_order_paid_and_handed_over`)."""
    return _mark(
        guest_order=guest_order,
        property=property,
        actor=actor,
        start=(GuestOrder.Status.PAID, GuestOrder.Status.READY),
        to=GuestOrder.Status.HANDED_OVER,
        field="handed_over_at",
        action="pos.collect_order.handed_over",
        sold=True,
    )


def collect_order_paid_and_handed_over(
    *, guest_order: GuestOrder, property, terminal, actor, tenders: Sequence
) -> GuestOrder:
    """The cashier takes the payment of an order to pay at pickup and hands it over: the
    counter's own sale (`sale_checkout` at the cashier's terminal: the numbered ticket, its
    payments and journal entry now, not before) of the lines the guest chose. What the order
    held is given back first, in the same transaction, and taken again by the sale.
    Locks: the guest order, then the sale's. Idempotent: a double tap finds it handed over
    (the sale's key is the order's). Raises Conflict when not to pay (paid online, not
    collected), what `sale_checkout` raises (then nothing changes)."""
    with transaction.atomic():
        locked = (
            GuestOrder.objects.select_for_update(of=("self",))
            .select_related("point__outlet", "pickup_slot", "property")
            .filter(pk=guest_order.pk, property=property, point__kind=GuestOrderPoint.Kind.COLLECT)
            .first()
        )
        if locked is None:
            raise NotFound(_("No such order."))
        unpaid = (GuestOrder.Status.TO_PAY, GuestOrder.Status.READY)
        if locked.status == GuestOrder.Status.HANDED_OVER and locked.order_id is not None:
            return locked  # a double tap: handed over and paid once
        if locked.status not in unpaid or locked.order_id is not None:
            if locked.status == GuestOrder.Status.NO_SHOW:
                raise Conflict(
                    _("This order was not collected in time and is released: sell it again.")
                )
            raise Conflict(_("This order is not to pay at pickup."))
        capacity_release(property=property, reference=collect_hold_reference(locked))
        sale = sale_checkout(
            SaleRequest(
                property=property,
                terminal=terminal,
                actor=actor,
                lines=stored_lines_as_input(locked.lines),
                tenders=tenders,
                client_key=f"collect:{locked.client_key}",
                caller_replays=True,
            )
        )
        now = timezone.now()
        locked.order = sale.order
        locked.status = GuestOrder.Status.HANDED_OVER
        locked.handed_over_at = now
        locked.hold_until = None
        locked.decided_by = actor
        locked.decided_at = now
        locked.save(
            update_fields=[
                "order",
                "status",
                "handed_over_at",
                "hold_until",
                "decided_by",
                "decided_at",
                "updated_at",
            ]
        )
        audit_log(
            action="pos.collect_order.paid_and_handed_over",
            property=property,
            actor=actor,
            target=locked,
            channel="pos",
            data={"place": locked.place(), "total": str(locked.total)},
        )
    return locked


def collect_no_shows_release(*, now: datetime | None = None) -> int:
    """Beat: the orders to pay at pickup not collected by their slot's end plus the grace
    are marked not collected and what they held given back (their place: no longer
    counted; their stock: released). Each in its own transaction under the order's lock,
    so a cashier handing one over at that moment wins or waits. Returns how many."""
    now = now or timezone.now()
    due = list(
        GuestOrder.objects.filter(
            status__in=(GuestOrder.Status.TO_PAY, GuestOrder.Status.READY),
            order__isnull=True,
            hold_until__lt=now,
        ).values_list("pk", flat=True)
    )
    released = 0
    for pk in due:
        with transaction.atomic():
            locked = (
                GuestOrder.objects.select_for_update(of=("self",))
                .select_related("property", "point")
                .filter(
                    pk=pk,
                    status__in=(GuestOrder.Status.TO_PAY, GuestOrder.Status.READY),
                    order__isnull=True,
                    hold_until__lt=now,
                )
                .first()
            )
            if locked is None:
                continue  # handed over meanwhile
            capacity_release(property=locked.property, reference=collect_hold_reference(locked))
            locked.status = GuestOrder.Status.NO_SHOW
            with translation.override(locked.language or locked.property.default_language):
                locked.refusal_reason = _("Not collected in time: the order is released.")
            locked.save(update_fields=["status", "refusal_reason", "updated_at"])
            audit_log(
                action="pos.collect_order.no_show",
                property=locked.property,
                target=locked,
                channel="pos",
                data={"place": locked.place(), "total": str(locked.total)},
            )
            released += 1
    return released


def collect_kitchen_send_due(*, now: datetime | None = None) -> int:
    """Beat: the later days' orders whose time at the kitchen has come (`kitchen_due_at`)
    go to the kitchen display and the station printers, headed "Takeaway · 12:30 · name"
    like today's. Each in its own transaction under the order's lock, `kitchen_due_at`
    cleared there: sent once, whoever runs it twice. An order no longer to prepare (packed
    ready, handed over, released) is not sent. Returns how many were sent."""
    now = now or timezone.now()
    due = list(
        GuestOrder.objects.filter(kitchen_due_at__lte=now)
        .order_by("kitchen_due_at", "pk")
        .values_list("pk", flat=True)
    )
    sent = 0
    actor = guest_actor()
    for pk in due:
        with transaction.atomic():
            locked = (
                GuestOrder.objects.select_for_update(of=("self",))
                .select_related("property", "outlet", "point__property", "pickup_slot")
                .filter(pk=pk, kitchen_due_at__lte=now)
                .first()
            )
            if locked is None:
                continue  # sent meanwhile
            if locked.status in (GuestOrder.Status.PAID, GuestOrder.Status.TO_PAY):
                _to_stations(locked, actor=actor)
                sent += 1
            locked.kitchen_due_at = None
            locked.save(update_fields=["kitchen_due_at", "updated_at"])
    return sent


def collect_orders_today(
    *, property, outlet=None, now: datetime | None = None, day: date | None = None
) -> list:
    """The staff's list: a day's (default today's) click-and-collect orders paid or to pay,
    by pickup time (one query)."""
    local = timezone.localtime(now or timezone.now(), property.tz)
    start = datetime.combine(day or local.date(), datetime.min.time(), tzinfo=property.tz)
    orders = GuestOrder.objects.filter(
        property=property,
        point__kind=GuestOrderPoint.Kind.COLLECT,
        status__in=KEPT,
        pickup_slot__starts_at__gte=start,
        pickup_slot__starts_at__lt=start + timedelta(days=1),
    ).select_related("pickup_slot", "outlet", "point", "property")
    if outlet is not None:
        orders = orders.filter(outlet=outlet)
    return list(orders.order_by("pickup_slot__starts_at", "pk"))


def collect_email_send(*, guest_order_id: int, kind: str) -> bool:
    """Send the guest's confirmation (kind "confirmed" once paid, "to_pay" when paid at
    pickup) or ready notice ("ready")."""
    from django.core.mail import EmailMessage

    from core.formatting import money

    order = (
        GuestOrder.objects.select_related("property", "outlet", "pickup_slot")
        .filter(pk=guest_order_id)
        .first()
    )
    if order is None or not order.customer_email or order.pickup_slot_id is None:
        return False
    language = order.language or order.property.default_language
    with translation.override(language):
        at = order.pickup_words()
        facts = {"outlet": order.outlet.name, "time": at, "name": order.customer_name}
        lines = "\n".join(
            f"{line['quantity']} × {line['description']}  {money(line['total'], language=language)}"
            for line in order.lines
        )
        total = money(order.total, language=language)
        if kind == "ready":
            subject = _("Your order is ready · %(outlet)s") % facts
            intro = _("%(name)s, your order is ready: collect it at %(outlet)s.") % facts
            if order.order_id is None:
                intro += " " + _("You pay for it at the counter.")
        elif kind == "to_pay":
            subject = _("Your order for %(time)s · %(outlet)s") % facts
            intro = (
                _(
                    "%(name)s, your order is placed: collect it at %(outlet)s from %(time)s "
                    "and pay for it at the counter."
                )
                % facts
            )
        else:
            subject = _("Your order for %(time)s · %(outlet)s") % facts
            intro = (
                _("%(name)s, your order is paid: collect it at %(outlet)s from %(time)s.") % facts
            )
        body = f"{intro}\n\n{lines}\n{_('Total')} {total}\n"
    EmailMessage(subject=subject, body=body, to=[order.customer_email]).send()
    return True
