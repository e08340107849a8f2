"""Table service (POS-2/3): open a table with covers, add items with modifiers, send them to
the kitchen and bar displays, bump a ticket, pay or charge the tab to a room."""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from core.queries import one_by_key
from devices.documents import KitchenItem, KitchenTicketDocument
from devices.models import PrintJob
from devices.services import print_jobs_enqueue_new
from inventory.catalog_cache import catalog_version
from inventory.models import Channel, Product, RevenueCategory
from inventory.services.catalogue import product_choices_check, product_line_check
from inventory.services.pricing import QuoteLineInput, quote
from pos.models import (
    KitchenTicket,
    Table,
    TableTab,
    TabLine,
    TabPart,
)
from pos.selectors import line_held, line_pending, line_to_send
from pos.services.tab_payments import known_line_description, remember_line_price
from pos.terminal_cache import station_printers

KITCHEN = "kitchen"
BAR = "bar"
STATIONS = (KITCHEN, BAR)
MAX_COVERS = 99
MAX_COURSE = 9


def station_for(product: Product) -> str:
    """Drinks go to the bar display, everything else to the kitchen."""
    if product.revenue_category in (RevenueCategory.DRINKS, RevenueCategory.ALCOHOL):
        return BAR
    return KITCHEN


def table_open(*, table: Table, covers: int, actor) -> TableTab:
    """Open `table` for `covers` guests. Raises Conflict when the table is already open."""
    if not 1 <= covers <= MAX_COVERS:
        raise InvalidInput(_("Enter the number of covers (1 to %(max)s).") % {"max": MAX_COVERS})
    if not table.is_active:
        raise NotFound(_("No such table."))
    try:
        with transaction.atomic():
            Table.objects.select_for_update().get(pk=table.pk)
            if TableTab.objects.filter(table=table, status=TableTab.Status.OPEN).exists():
                raise Conflict(_("Table %(label)s is already open.") % {"label": table.label})
            tab = TableTab.objects.create(
                property=table.property, table=table, covers=covers, opened_by=actor
            )
            audit_log(
                action="pos.table.opened",
                property=table.property,
                actor=actor,
                target=tab,
                channel="pos",
                data={"table": table.label, "covers": covers},
            )
    except IntegrityError:
        raise Conflict(_("Table %(label)s is already open.") % {"label": table.label})
    return tab


def _open_tab_for_update(tab: TableTab) -> TableTab:
    """The tab and its table, locked, read in the caller's tab's property (a view may pass
    a tab it has not read: this is the read that scopes it). The property is the caller's
    tab's own (not joined: a wide row, and one that no tab should lock). `has_parts`: whether
    any part of the bill is paid yet."""
    locked = one_by_key(
        TableTab.objects.select_for_update(of=("self", "table"))
        .select_related("table")
        .filter(pk=tab.pk, property_id=tab.property_id)
        # parts are paid under this lock: the screen that follows reads them only if any
        .annotate(has_parts=Exists(TabPart.objects.filter(tab_id=OuterRef("pk"))))
    )
    if locked is None:
        raise NotFound(_("No such table."))
    locked.property = tab.property
    if locked.status != TableTab.Status.OPEN:
        raise Conflict(_("This table is already closed."))
    return locked


def course_for(product: Product, course: int) -> int:
    """The dish's own course from the catalogue when it has one (an entrecôte is a main
    whatever course the waiter is on), else the waiter's current course."""
    return product.default_course or int(course)


def tab_add_line(
    *,
    tab: TableTab,
    product: Product,
    actor,
    quantity: Decimal = Decimal("1"),
    modifier_ids: Sequence[int] = (),
    note: str = "",
    course: int = 1,
    seat: int = 0,
) -> TabLine:
    """Add an item (with modifiers) to an open tab; priced and validated by the POS quote.
    `course` (1 starters, 2 mains, 3 desserts, …) decides when it is fired to the kitchen;
    the product's default course, when set, wins (the waiter need not switch courses).
    Raises: SoldOut for a dish 86'd; InvalidInput when a required choice (the cooking of a
    steak) is missing — the kitchen cannot cook a line without it."""
    if not 1 <= int(course) <= MAX_COURSE:
        raise InvalidInput(_("Choose a course from 1 to %(max)s.") % {"max": MAX_COURSE})
    if product.property_id != tab.property_id:
        raise NotFound(_("No such product."))
    if product.capacity_pool_id:
        raise InvalidInput(_("This product is sold at the counter."))
    # the groups the waiter's cached menu prefetched: no query on a tap
    product_line_check(
        product=product, modifier_ids=modifier_ids, groups=product.modifier_groups.all()
    )
    course = min(course_for(product, course), MAX_COURSE)
    if not 0 <= int(seat) <= MAX_COVERS:
        raise InvalidInput(_("Choose a seat from 1 to %(max)s.") % {"max": MAX_COVERS})
    line = QuoteLineInput(
        product_id=product.pk, quantity=quantity, modifier_ids=tuple(modifier_ids)
    )
    token = catalog_version(property_id=tab.property_id)  # before the quote reads any row
    description = known_line_description(property=tab.property, line=line, token=token)
    if description is None:  # the first time today: the quote validates and prices it
        quoted = quote(property=tab.property, channel=Channel.POS, lines=[line])
        # the tab page that follows shows this price: it need not quote the line again
        remember_line_price(property=tab.property, line=line, quoted=quoted.lines[0], token=token)
        description = quoted.lines[0].description
    with transaction.atomic():
        locked = _open_tab_for_update(tab)
        return TabLine.objects.create(
            tab=locked,
            product=product,
            quantity=quantity,
            modifier_ids=list(modifier_ids),
            description=description,
            note=(note or "").strip()[:200],
            course=int(course),
            seat=int(seat),
        )


MAX_QUANTITY = Decimal("99")


def tab_line_quantity(*, tab: TableTab, line_id: int, delta: int, actor) -> TabLine:
    """+1 or −1 on a line not yet sent (a sent line is voided instead: the kitchen has it).
    Stays between 1 and 99: removing the last one is the ✕ of the line.
    Raises: InvalidInput for a line sent or paid; NotFound for a line of another tab."""
    if delta not in (1, -1):
        raise InvalidInput(_("Add or take away one at a time."))
    with transaction.atomic():
        locked = _open_tab_for_update(tab)
        line = TabLine.objects.filter(tab=locked, pk=line_id, voided_at__isnull=True).first()
        if line is None:
            raise NotFound(_("No such line."))
        if line.kitchen_ticket_id:
            raise InvalidInput(_("This item was already sent to the kitchen."))
        if line.paid_part_id or (locked.has_parts and _allocated(locked).get(line.pk)):
            raise InvalidInput(_("This item is already paid."))
        quantity = line.quantity + delta
        if not Decimal("1") <= quantity <= MAX_QUANTITY:
            raise InvalidInput(_("A line holds 1 to 99 items: remove it with ✕."))
        line.quantity = quantity
        line.save(update_fields=["quantity", "updated_at"])
        line.tab = locked
    return line


def tab_line_option_toggle(
    *, tab: TableTab, line_id: int, product: Product, modifier_id: int, actor
) -> TabLine:
    """Tick or untick one choice of a line not sent yet, from the order line: a dish whose
    groups are all optional is added in one tap, and its options are one tap each after
    (a choice of a one-choice group replaces the other). `product` is the line's dish as
    the tablet's menu holds it (with its groups). Priced and validated by the quote like a
    new line. Raises: InvalidInput for a line sent or paid, a choice of another dish or
    one too many; ChoiceRequired when a required choice would be taken away; NotFound
    for a line of another tab."""
    group = next(
        (
            g
            for g in product.modifier_groups.all()
            if any(m.pk == modifier_id for m in g.modifiers.all())
        ),
        None,
    )
    if group is None:
        raise InvalidInput(_("This choice is not one of %(name)s's.") % {"name": product.name})
    with transaction.atomic():
        locked = _open_tab_for_update(tab)
        line = TabLine.objects.filter(tab=locked, pk=line_id, voided_at__isnull=True).first()
        if line is None or line.product_id != product.pk:
            raise NotFound(_("No such line."))
        if line.kitchen_ticket_id:
            raise InvalidInput(_("This item was already sent to the kitchen."))
        if line.paid_part_id or (locked.has_parts and _allocated(locked).get(line.pk)):
            raise InvalidInput(_("This item is already paid."))
        chosen = list(line.modifier_ids)
        if modifier_id in chosen:
            chosen.remove(modifier_id)
        else:
            in_group = {m.pk for m in group.modifiers.all()}
            if group.max_choices == 1:
                chosen = [pk for pk in chosen if pk not in in_group]
            elif (
                group.max_choices and sum(1 for pk in chosen if pk in in_group) >= group.max_choices
            ):
                raise InvalidInput(
                    _("%(group)s: at most %(n)s choices.")
                    % {"group": group.name, "n": group.max_choices}
                )
            chosen.append(modifier_id)
        product_choices_check(
            product=product, modifier_ids=chosen, groups=product.modifier_groups.all()
        )
        line.description = (
            quote(
                property=tab.property,
                channel=Channel.POS,
                lines=[QuoteLineInput(product_id=product.pk, modifier_ids=tuple(chosen))],
            )
            .lines[0]
            .description
        )
        line.modifier_ids = chosen
        line.save(update_fields=["modifier_ids", "description", "updated_at"])
        line.tab = locked
    return line


def tab_repeat_last_line(*, tab: TableTab, actor) -> TabLine:
    """ "Another round": the tab's last line (not voided) again, with its modifiers, note,
    course and seat, through tab_add_line (priced and checked like any new line).
    Raises: InvalidInput when the tab has no line yet."""
    last = (
        TabLine.objects.filter(tab_id=tab.pk, tab__property_id=tab.property_id, voided_at=None)
        .select_related("product")
        .order_by("-pk")
        .first()
    )
    if last is None:
        raise InvalidInput(_("Nothing to repeat yet."))
    return tab_add_line(
        tab=tab,
        product=last.product,
        actor=actor,
        quantity=last.quantity,
        modifier_ids=last.modifier_ids,
        note=last.note,
        course=last.course,
        seat=last.seat,
    )


def tab_remove_line(*, tab: TableTab, line_id: int, actor) -> None:
    """Remove a line not yet sent to the kitchen."""
    with transaction.atomic():
        locked = _open_tab_for_update(tab)
        line = TabLine.objects.filter(tab=locked, pk=line_id).first()
        if line is None:
            raise NotFound(_("No such line."))
        if line.kitchen_ticket_id:
            raise InvalidInput(_("This item was already sent to the kitchen."))
        # a share of the bill paid by amount or cover counts on the line too
        if line.paid_part_id or (locked.has_parts and _allocated(locked).get(line.pk)):
            raise InvalidInput(_("This item is already paid."))
        line.delete()


class Sent(NamedTuple):
    """What a send made, and the tab as it left it (the order screen redraws from it)."""

    tickets: list[KitchenTicket]
    tab: TableTab
    lines: list[TabLine]  # all the tab's lines, each with its ticket (if sent)


def tab_send(*, tab: TableTab, actor, fire_next: bool = False) -> list[KitchenTicket]:
    """Send the lines not yet sent, one KitchenTicket per station and course. Courses after
    the one being served are held; `fire_next` fires the next held course.

    The first send fires the lowest course ordered (with every course up to it); a later
    send only sends what was added to courses already fired.
    Locks: the tab row. Idempotent: nothing new to send creates nothing.
    Raises: Conflict on a closed tab."""
    return tab_send_and_read(tab=tab, actor=actor, fire_next=fire_next).tickets


def tab_send_and_read(*, tab: TableTab, actor, fire_next: bool = False) -> Sent:
    """`tab_send`, also returning the tab and all its lines as read under its lock (the
    lines to send are among them: one read serves the send and the screen after it)."""
    with transaction.atomic():
        locked = _open_tab_for_update(tab)
        lines = list(TabLine.objects.filter(tab=locked).select_related("product", "kitchen_ticket"))
        pending = [line for line in lines if line_pending(line)]
        if locked.fired_course == 0 and pending:  # the first send: the lowest course ordered
            fire = min(line.course for line in pending)
        else:  # fire: the next held course
            held = [
                line.course for line in pending if line_held(line, fired_course=locked.fired_course)
            ]
            fire = min(held) if fire_next and held else None
        if fire is not None:
            locked.fired_course = fire
            locked.save(update_fields=["fired_course", "updated_at"])
        pending = [line for line in pending if line_to_send(line, fired_course=locked.fired_course)]
        tickets = _tickets_create(property=locked.property, actor=actor, lines=pending, tab=locked)
        if tickets:
            _print_kitchen_tickets(
                property=locked.property,
                table=locked.table.label,
                covers=locked.covers,
                tickets=tickets,
                lines=pending,
                actor=actor,
            )
            audit_log(
                action="pos.table.fired" if fire_next else "pos.table.sent",
                property=locked.property,
                actor=actor,
                target=locked,
                channel="pos",
                data={
                    "tickets": [t.pk for t in tickets],
                    "lines": len(pending),
                    "course": locked.fired_course,
                },
            )
    return Sent(tickets=tickets, tab=locked, lines=lines)


def _tickets_create(
    *, property, actor, lines: list[TabLine], tab: TableTab | None = None, guest_order=None
) -> list[KitchenTicket]:
    """One ticket per station and course for `lines` (a tab's, or a guest order's not yet
    saved), each line pointing at its ticket: one INSERT for the tickets and one for the new
    lines or one UPDATE for a tab's, whatever their number."""
    by_station = defaultdict(list)
    for line in lines:
        by_station[(station_for(line.product), line.course)].append(line)
    groups = sorted(by_station.items())
    tickets = KitchenTicket.objects.bulk_create(
        [
            KitchenTicket(
                property=property,
                tab=tab,
                guest_order=guest_order,
                station=station,
                sent_by=actor,
                course=course,
            )
            for (station, course), _lines in groups
        ]
    )
    for ticket, (_key, group) in zip(tickets, groups, strict=True):
        for line in group:
            line.kitchen_ticket = ticket
    if tab is None:
        TabLine.objects.bulk_create(lines)
    elif tickets:
        TabLine.objects.bulk_update(lines, ["kitchen_ticket"])
    return tickets


# what a guest's own order sends to the stations (not the room's delivery fee, a shop item)
STATION_CATEGORIES = (RevenueCategory.FOOD, RevenueCategory.DRINKS, RevenueCategory.ALCOHOL)


def guest_order_send(
    *, guest_order, place: str, actor, products: dict | None = None
) -> list[KitchenTicket]:
    """A guest's order sold at once (a room's tray charged or paid, a kiosk's ticket paid) goes
    to the kitchen display and the station printers like a table's send, every course at once
    (the guest ordered now). Its dishes are lines with no tab (`TabLine.guest_order`). Call it
    once, in the sale's transaction (the sale's own lock and key make it once); `products`,
    the menu's, by id, when the caller has them."""
    fee_id = guest_order.point.outlet.room_service_fee_id  # the tray's fee cooks nothing
    wanted = [line for line in guest_order.lines if line.get("product_id") not in (None, fee_id)]
    if products is None:
        products = Product.objects.in_bulk({line["product_id"] for line in wanted})
    lines = [
        TabLine(
            guest_order=guest_order,
            product=product,
            quantity=Decimal(str(line["quantity"])),
            modifier_ids=list(line.get("modifier_ids", [])),
            description=line.get("description", product.name)[:300],
            note=line.get("note", "")[:200],
            course=min(course_for(product, 1), MAX_COURSE),
        )
        for line in wanted
        if (product := products.get(line["product_id"])) is not None
        and product.revenue_category in STATION_CATEGORIES
    ]
    tickets = _tickets_create(
        property=guest_order.point.property, actor=actor, lines=lines, guest_order=guest_order
    )
    if tickets:
        _print_kitchen_tickets(
            property=guest_order.point.property,
            place=place,
            covers=None,
            tickets=tickets,
            lines=lines,
            actor=actor,
        )
    return tickets


def tab_fire_next_course(*, tab: TableTab, actor) -> list[KitchenTicket]:
    """ "Fire" the next held course: its lines go to the stations now."""
    tickets = tab_send(tab=tab, actor=actor, fire_next=True)
    if not tickets:
        raise InvalidInput(_("No course is waiting to be fired."))
    return tickets


def tab_mark_served(*, tab: TableTab, actor) -> int:
    """The waiter took the ready dishes to the table: clears "ready" on the floor plan."""
    return KitchenTicket.objects.filter(
        tab=tab, status=KitchenTicket.Status.BUMPED, served_at__isnull=True
    ).update(served_at=timezone.now())


def tab_void_line(*, tab: TableTab, line_id: int, actor, approver, reason: str) -> TabLine:
    """Void a line already sent to the kitchen. The caller verified `approver`'s manager
    PIN (pos.approve); the reason and both people go to the audit trail. The line stays on
    the tab (struck through) and leaves the bill.
    Raises: InvalidInput without a reason, for a line not sent (remove it instead), already
    voided or paid; NotFound for a line of another tab."""
    reason = (reason or "").strip()[:200]
    if not reason:
        raise InvalidInput(_("Give a reason for the void."))
    with transaction.atomic():
        locked = _open_tab_for_update(tab)
        line = TabLine.objects.filter(tab=locked, pk=line_id).first()
        if line is None:
            raise NotFound(_("No such line."))
        if line.voided_at is not None:
            raise InvalidInput(_("This item is already voided."))
        if line.paid_part_id or _allocated(locked).get(line.pk):
            raise InvalidInput(_("This item is already paid."))
        if line.kitchen_ticket_id is None:
            raise InvalidInput(_("This item was not sent yet: remove it instead."))
        line.voided_at = timezone.now()
        line.voided_by = actor
        line.void_approved_by = approver
        line.void_reason = reason
        line.save(
            update_fields=[
                "voided_at",
                "voided_by",
                "void_approved_by",
                "void_reason",
                "updated_at",
            ]
        )
        audit_log(
            action="pos.table.line_voided",
            property=locked.property,
            actor=approver,
            target=locked,
            channel="pos",
            data={
                "line": line.pk,
                "description": line.description,
                "quantity": str(line.quantity),
                "reason": reason,
                "requested_by": actor.pk,
                "approved_by": approver.pk,
                "table": locked.table.label,
            },
        )
    return line


def tab_line_discount(
    *, tab: TableTab, line_id: int, percent: Decimal, actor, approver=None
) -> TabLine:
    """Give a percentage off a line. Above the actor's role limit (core.roles
    DISCOUNT_LIMITS) the caller passes the `approver` whose manager PIN it verified.
    Raises: PermissionDenied above the limit without an approver; InvalidInput out of range."""
    from core.roles import discount_limit

    if not Decimal("0") <= percent <= Decimal("100"):
        raise InvalidInput(_("A discount is between 0 and 100 %."))
    if percent > discount_limit(*_limit_of(tab.property, approver or actor)):
        raise PermissionDenied(
            _("A discount above %(limit)s %% needs a manager's approval.")
            % {"limit": discount_limit(*_limit_of(tab.property, actor))}
        )
    with transaction.atomic():
        locked = _open_tab_for_update(tab)
        line = TabLine.objects.filter(tab=locked, pk=line_id, voided_at__isnull=True).first()
        if line is None:
            raise NotFound(_("No such line."))
        if line.paid_part_id or _allocated(locked).get(line.pk):
            raise InvalidInput(_("This item is already paid."))
        line.discount_percent = percent
        line.save(update_fields=["discount_percent", "updated_at"])
        audit_log(
            action="pos.table.line_discounted",
            property=locked.property,
            actor=approver or actor,
            target=locked,
            channel="pos",
            data={
                "line": line.pk,
                "percent": str(percent),
                "requested_by": actor.pk,
                "approved_by": approver.pk if approver else None,
            },
        )
    return line


def _limit_of(property, user) -> tuple[str | None, int | None]:
    """(role, personal discount limit) of `user` at `property`."""
    from core.models import Membership

    row = (
        Membership.objects.filter(property=property, user=user, is_active=True)
        .values_list("role", "discount_limit")
        .first()
    )
    return row if row else (None, None)


def _allocated(tab: TableTab) -> dict[int, Decimal]:
    """{line_id: amount already paid} by parts split by cover or amount."""
    out: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for allocation in tab.parts.exclude(allocation={}).values_list("allocation", flat=True):
        for line_id, amount in allocation.items():
            out[int(line_id)] += Decimal(amount)
    return out


def tab_transfer(*, tab: TableTab, to_table: Table, actor) -> TableTab:
    """Move a whole tab (lines, covers, tickets) to a free table of the same property.
    Raises: Conflict when the target table is open; NotFound for another property's table."""
    if to_table.property_id != tab.property_id or not to_table.is_active:
        raise NotFound(_("No such table."))
    with transaction.atomic():
        # both tables locked in pk order (two waiters moving tables cannot deadlock)
        list(
            Table.objects.select_for_update()
            .filter(pk__in=[tab.table_id, to_table.pk])
            .order_by("pk")
        )
        locked = _open_tab_for_update(tab)
        if to_table.pk == locked.table_id:
            raise InvalidInput(_("Choose another table."))
        if TableTab.objects.filter(table=to_table, status=TableTab.Status.OPEN).exists():
            raise Conflict(
                _("Table %(label)s is already open: merge instead.") % {"label": to_table.label}
            )
        source = locked.table.label
        locked.table = to_table
        locked.save(update_fields=["table", "updated_at"])
        audit_log(
            action="pos.table.transferred",
            property=locked.property,
            actor=actor,
            target=locked,
            channel="pos",
            data={"from": source, "to": to_table.label},
        )
    return locked


def tab_merge(*, source: TableTab, target: TableTab, actor) -> TableTab:
    """Merge the open tab `source` into the open tab `target`: lines, covers and the tickets
    already sent follow; `source`'s table becomes free.
    Raises: InvalidInput for the same tab or a tab already part-paid; Conflict on a closed tab."""
    if source.pk == target.pk:
        raise InvalidInput(_("Choose another table."))
    if source.property_id != target.property_id:
        raise NotFound(_("No such table."))
    with transaction.atomic():
        tabs = {
            t.pk: t
            for t in TableTab.objects.select_for_update()
            .select_related("table")
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        src, dst = tabs.get(source.pk), tabs.get(target.pk)
        if src is None or dst is None:
            raise NotFound(_("No such table."))
        for t in (src, dst):
            if t.status != TableTab.Status.OPEN:
                raise Conflict(_("This table is already closed."))
            if t.parts.exists():
                raise InvalidInput(_("A table that has started paying cannot be merged."))
        moved = TabLine.objects.filter(tab=src).update(tab=dst)
        KitchenTicket.objects.filter(tab=src).update(tab=dst)
        dst.covers = min(MAX_COVERS, dst.covers + src.covers)
        dst.fired_course = max(dst.fired_course, src.fired_course)
        if dst.reservation_id is None and src.reservation_id:
            dst.reservation_id, dst.guest_id = src.reservation_id, src.guest_id
        dst.save(update_fields=["covers", "fired_course", "reservation", "guest", "updated_at"])
        src.status = TableTab.Status.CLOSED
        src.closed_at = timezone.now()
        src.covers = src.covers
        src.save(update_fields=["status", "closed_at", "updated_at"])
        audit_log(
            action="pos.table.merged",
            property=dst.property,
            actor=actor,
            target=dst,
            channel="pos",
            data={
                "from": src.table.label,
                "into": dst.table.label,
                "lines": moved,
                "from_tab": src.pk,
            },
        )
    return dst


def tab_attach_guest(*, tab: TableTab, reservation, actor) -> TableTab:
    """Attach the table to an in-house guest's stay (for history, suggestions and the room
    charge). Raises: NotInHouse when the stay is not in house; NotFound for another property."""
    from pms.models import Reservation
    from pos.exceptions import NotInHouse

    if reservation.property_id != tab.property_id:
        raise NotFound(_("No such reservation."))
    if reservation.status != Reservation.Status.IN_HOUSE:
        raise NotInHouse(_("This guest is not in house."))
    with transaction.atomic():
        locked = _open_tab_for_update(tab)
        locked.reservation = reservation
        locked.guest_id = reservation.guest_id
        locked.save(update_fields=["reservation", "guest", "updated_at"])
        audit_log(
            action="pos.table.guest_attached",
            property=locked.property,
            actor=actor,
            target=locked,
            channel="pos",
            data={"reservation": reservation.reference, "table": locked.table.label},
        )
    return locked


def kitchen_ticket_bump(*, ticket: KitchenTicket, actor) -> KitchenTicket:
    """Mark a kitchen ticket done (and its dishes not marked one by one). Idempotent."""
    with transaction.atomic():
        locked = KitchenTicket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status == KitchenTicket.Status.BUMPED:
            return locked
        now = timezone.now()
        locked.status = KitchenTicket.Status.BUMPED
        locked.bumped_at = now
        locked.save(update_fields=["status", "bumped_at", "updated_at"])
        TabLine.objects.filter(kitchen_ticket=locked, bumped_at=None).update(bumped_at=now)
    return locked


def kitchen_line_bump(*, ticket: KitchenTicket, line_id: int, actor) -> KitchenTicket:
    """One dish of a ticket is ready; the last dish ready bumps the whole ticket (the waiter
    sees "ready" on the floor plan). Idempotent. Raises: NotFound for a line of another
    ticket."""
    with transaction.atomic():
        locked = KitchenTicket.objects.select_for_update().get(pk=ticket.pk)
        line = TabLine.objects.filter(kitchen_ticket=locked, pk=line_id).first()
        if line is None:
            raise NotFound(_("No such line."))
        if line.bumped_at is None:
            line.bumped_at = timezone.now()
            line.save(update_fields=["bumped_at", "updated_at"])
        left = TabLine.objects.filter(
            kitchen_ticket=locked, bumped_at=None, voided_at=None
        ).exists()
    if not left:
        return kitchen_ticket_bump(ticket=locked, actor=actor)
    return locked


def kitchen_ticket_recall(*, property, station: str, actor) -> KitchenTicket | None:
    """Bring back the station's last bumped ticket (a cook bumped the wrong one): it waits
    again with its dishes, until bumped. Returns None when nothing was bumped."""
    with transaction.atomic():
        last = (
            KitchenTicket.objects.select_for_update()
            .filter(property=property, station=station, status=KitchenTicket.Status.BUMPED)
            .order_by("-bumped_at", "-pk")
            .first()
        )
        if last is None:
            return None
        last.status = KitchenTicket.Status.NEW
        last.bumped_at = None
        last.served_at = None
        last.save(update_fields=["status", "bumped_at", "served_at", "updated_at"])
        TabLine.objects.filter(kitchen_ticket=last).update(bumped_at=None)
        audit_log(
            action="pos.kitchen.recalled",
            property=property,
            actor=actor,
            target=last,
            channel="pos",
            data={"station": station, "ticket": last.pk},
        )
    return last


def _print_kitchen_tickets(
    *,
    property,
    covers: int | None,
    tickets: list[KitchenTicket],
    lines,
    actor,
    table: str = "",
    place: str = "",
) -> None:
    """Queue a kitchen ticket per station that has a printer; sent after commit (a printer
    that is off never blocks the send: the display has the ticket anyway). The table's label
    heads it, or `place` for a guest's order (its room, its kiosk ticket)."""
    printers = station_printers(property=property)
    if not any(t.station in printers for t in tickets):
        return
    sent_at = timezone.localtime(timezone.now(), property.tz)
    waiter = actor.get_full_name() or actor.get_username()
    jobs = []
    for ticket in tickets:
        printer = printers.get(ticket.station)
        if printer is None:
            continue
        items = tuple(
            KitchenItem(name=line.description, quantity=line.quantity, note=line.note)
            for line in lines
            if line.kitchen_ticket_id == ticket.pk
        )
        document = KitchenTicketDocument(
            station=ticket.station,
            table=table,
            place=place,
            items=items,
            sent_at=sent_at,
            covers=covers,
            waiter=waiter,
            order_reference=f"K{ticket.pk}",
        )
        # the ticket was created in this transaction: no job holds its key yet
        jobs.append((printer, document, f"pos.kitchenticket:{ticket.pk}"))
    print_jobs_enqueue_new(printer_documents=jobs, kind=PrintJob.Kind.KITCHEN, actor=actor)
