"""Click-and-collect's pickup slots as seen by the sale (issue 25): which orders keep a
place, the place checked again when a late payment arrives, and the guest's e-mails. Apart
from pos.services.click_collect so that the online payment's sale (pos.services.guest_orders)
can call them without an import cycle (click_collect builds on guest_orders)."""

from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict
from core.outbox import outbox_enqueue
from pos.models import GuestOrder, PickupSlot

# an unpaid order keeps its pickup time this long (the provider's page is open meanwhile)
HOLD = timedelta(minutes=30)
EMAIL_TASK = "pos.tasks.collect_email_task"
# the statuses that keep a place in their slot (with AWAITING_PAYMENT while younger than HOLD);
# an order to pay at pickup keeps it until it is collected or marked not collected
KEPT = (
    GuestOrder.Status.PAID,
    GuestOrder.Status.READY,
    GuestOrder.Status.HANDED_OVER,
    GuestOrder.Status.TO_PAY,
)


def holding(now: datetime | None = None) -> Q:
    """The orders that keep their place in a slot (as seen from the slot: `orders__…`)."""
    since = (now or timezone.now()) - HOLD
    return Q(orders__status__in=KEPT) | Q(
        orders__status=GuestOrder.Status.AWAITING_PAYMENT, orders__created_at__gte=since
    )


def collect_slot_recheck(guest_order: GuestOrder) -> None:
    """Before a paid order's sale (in its transaction): its place is still there — an order
    paid after HOLD may find its slot taken meanwhile (then Conflict: refused, refunded)."""
    slot = PickupSlot.objects.select_for_update().get(pk=guest_order.pickup_slot_id)
    now = timezone.now()
    others = (
        PickupSlot.objects.filter(pk=slot.pk)
        .annotate(taken=Count("orders", filter=holding(now) & ~Q(orders__pk=guest_order.pk)))
        .values_list("taken", flat=True)
        .get()
    )
    if others >= slot.capacity:
        local = timezone.localtime(slot.starts_at, guest_order.property.tz)
        raise Conflict(
            _("The %(time)s pickup is full: choose another time.")
            % {"time": local.strftime("%H:%M")}
        )


def collect_email(guest_order: GuestOrder, kind: str) -> None:
    """The guest's e-mail (confirmed, ready), sent after commit through the outbox."""
    outbox_enqueue(
        task=EMAIL_TASK,
        kwargs={"guest_order_id": guest_order.pk, "kind": kind},
        property=guest_order.property,
    )
