"""Reads of the POS, scoped to a property."""

from django.db.models import Prefetch, QuerySet

from core.models import Property
from pms.models import Reservation
from pos.models import Order, Outlet, Terminal


def outlets_with_terminals(*, property: Property) -> QuerySet[Outlet]:
    """The property's outlets, each with its terminals (two queries)."""
    return (
        Outlet.objects.filter(property=property)
        .prefetch_related(
            Prefetch("terminals", queryset=Terminal.objects.order_by("name"), to_attr="all_terms")
        )
        .order_by("name")
    )


def terminal_get(*, property: Property, public_id=None, pk=None) -> Terminal | None:
    """An active terminal of `property` by public id (API) or pk (bound cookie), with its
    outlet, receipt printer and cash drawer (a cash sale kicks the drawer: no extra reads)."""
    queryset = Terminal.objects.filter(property=property, is_active=True).select_related(
        "outlet", "printer", "printer__property", "printer__cash_drawer"
    )
    if public_id is not None:
        return queryset.filter(public_id=public_id).first()
    if pk is not None:
        return queryset.filter(pk=pk).first()
    return None


def reservation_by_reference(*, property: Property, reference: str) -> Reservation | None:
    """A reservation of `property` by its reference (to link a sale to a stay)."""
    return (
        Reservation.objects.filter(property=property, reference=reference)
        .select_related("guest", "folio")
        .first()
    )


def order_get(*, property: Property, order_id: int) -> Order | None:
    """An order of `property` with its ticket, lines, VAT rows and payments."""
    return (
        Order.objects.filter(property=property, pk=order_id)
        .select_related("ticket", "ticket__folio", "terminal", "outlet", "reservation")
        .prefetch_related("ticket__lines", "ticket__vat_lines", "ticket__payments")
        .first()
    )
