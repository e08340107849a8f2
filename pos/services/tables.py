"""Table service (POS-2/3): open a table with covers, add items with modifiers, send them to
the kitchen and bar displays, bump a ticket, pay or charge the tab to a room."""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.services.payments import TenderInput
from core.audit import audit_log
from core.exceptions import Conflict, InvalidInput, NotFound
from devices.documents import KitchenItem, KitchenTicketDocument
from devices.models import PrintJob
from devices.services import print_job_enqueue
from inventory.models import Channel, Product, RevenueCategory
from inventory.services.pricing import QuoteLineInput, quote
from pos.models import (
    KitchenTicket,
    Order,
    StationPrinter,
    Table,
    TableTab,
    TabLine,
    Terminal,
)
from pos.services.checkout import order_checkout

KITCHEN = "kitchen"
BAR = "bar"
STATIONS = (KITCHEN, BAR)
MAX_COVERS = 99


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
    locked = TableTab.objects.select_for_update().select_related("table").get(pk=tab.pk)
    if locked.status != TableTab.Status.OPEN:
        raise Conflict(_("This table is already closed."))
    return locked


def tab_add_line(
    *,
    tab: TableTab,
    product: Product,
    actor,
    quantity: Decimal = Decimal("1"),
    modifier_ids: Sequence[int] = (),
    note: str = "",
) -> TabLine:
    """Add an item (with modifiers) to an open tab; priced and validated by the POS quote."""
    if product.property_id != tab.property_id:
        raise NotFound(_("No such product."))
    if product.capacity_pool_id:
        raise InvalidInput(_("This product is sold at the counter."))
    quoted = quote(
        property=tab.property,
        channel=Channel.POS,
        lines=[
            QuoteLineInput(
                product_id=product.pk, quantity=quantity, modifier_ids=tuple(modifier_ids)
            )
        ],
    )
    with transaction.atomic():
        locked = _open_tab_for_update(tab)
        return TabLine.objects.create(
            tab=locked,
            product=product,
            quantity=quantity,
            modifier_ids=list(modifier_ids),
            description=quoted.lines[0].description,
            note=(note or "").strip()[:200],
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
        line.delete()


def tab_send(*, tab: TableTab, actor) -> list[KitchenTicket]:
    """Send the lines not yet sent, one KitchenTicket per station. Idempotent: nothing new
    to send creates nothing."""
    with transaction.atomic():
        locked = _open_tab_for_update(tab)
        pending = list(
            TabLine.objects.filter(tab=locked, kitchen_ticket__isnull=True).select_related(
                "product"
            )
        )
        by_station = defaultdict(list)
        for line in pending:
            by_station[station_for(line.product)].append(line)
        tickets = []
        for station, lines in sorted(by_station.items()):
            ticket = KitchenTicket.objects.create(
                property=locked.property, tab=locked, station=station, sent_by=actor
            )
            TabLine.objects.filter(pk__in=[line.pk for line in lines]).update(kitchen_ticket=ticket)
            tickets.append(ticket)
        if tickets:
            _print_kitchen_tickets(tab=locked, tickets=tickets, lines=pending, actor=actor)
            audit_log(
                action="pos.table.sent",
                property=locked.property,
                actor=actor,
                target=locked,
                channel="pos",
                data={"tickets": [t.pk for t in tickets], "lines": len(pending)},
            )
    return tickets


def kitchen_ticket_bump(*, ticket: KitchenTicket, actor) -> KitchenTicket:
    """Mark a kitchen ticket done. Idempotent."""
    with transaction.atomic():
        locked = KitchenTicket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status == KitchenTicket.Status.BUMPED:
            return locked
        locked.status = KitchenTicket.Status.BUMPED
        locked.bumped_at = timezone.now()
        locked.save(update_fields=["status", "bumped_at", "updated_at"])
    return locked


def tab_quote_lines(tab: TableTab) -> list[QuoteLineInput]:
    return [
        QuoteLineInput(
            product_id=line.product_id,
            quantity=line.quantity,
            modifier_ids=tuple(line.modifier_ids),
            note=line.note,
        )
        for line in tab.lines.all()
    ]


def tab_checkout(
    *,
    tab: TableTab,
    terminal: Terminal,
    actor,
    tenders: Sequence[TenderInput] = (),
    room_number: str | None = None,
) -> Order:
    """Pay the tab (or charge it to a room) through order_checkout, with the tab's
    client_key, and close the table. Idempotent: a replay returns the same Order."""
    if tab.order_id:
        return tab.order
    with transaction.atomic():
        locked = TableTab.objects.select_for_update().select_related("table").get(pk=tab.pk)
        if locked.order_id:
            return locked.order
        lines = tab_quote_lines(locked)
        if not lines:
            raise InvalidInput(_("The table has nothing to pay."))
        order = order_checkout(
            property=locked.property,
            terminal=terminal,
            actor=actor,
            lines=lines,
            tenders=tenders,
            room_number=room_number,
            client_key=f"tab:{locked.client_key}",
        )
        order.table_label = locked.table.label[:30]
        order.covers = locked.covers
        order.save(update_fields=["table_label", "covers", "updated_at"])
        locked.order = order
        locked.status = TableTab.Status.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["order", "status", "closed_at", "updated_at"])
    return order


def _print_kitchen_tickets(*, tab: TableTab, tickets: list[KitchenTicket], lines, actor) -> None:
    """Queue a kitchen ticket per station that has a printer; sent after commit (a printer
    that is off never blocks the send: the display has the ticket anyway)."""
    printers = {
        sp.station: sp.printer
        for sp in StationPrinter.objects.filter(
            property=tab.property,
            station__in=[t.station for t in tickets],
            printer__is_active=True,
        ).select_related("printer")
    }
    if not printers:
        return
    sent_at = timezone.localtime(timezone.now(), tab.property.tz)
    for ticket in tickets:
        printer = printers.get(ticket.station)
        if printer is None:
            continue
        items = tuple(
            KitchenItem(name=line.description, quantity=line.quantity, note=line.note)
            for line in lines
            if station_for(line.product) == ticket.station
        )
        print_job_enqueue(
            printer=printer,
            kind=PrintJob.Kind.KITCHEN,
            document=KitchenTicketDocument(
                station=ticket.station,
                table=tab.table.label,
                items=items,
                sent_at=sent_at,
                covers=tab.covers,
                waiter=actor.get_full_name() or actor.get_username(),
                order_reference=f"K{ticket.pk}",
            ),
            idempotency_key=f"pos.kitchenticket:{ticket.pk}",
            actor=actor,
        )
