"""Staff performance (POS-1, REP-1): each person's sales, covers, average basket, tips,
discounts, voids and refunds over a period, read from the fiscal documents themselves in
four SQL aggregates whatever the number of people or tickets; and the tips pooled by hours
worked when the property chose it (timeclock's hours).

The employee-anomaly alert (`reporting.services`, discount and void rates) reads its rates
from `staff_performance`: one data path, so the screen and the alert never disagree.

Attribution: a ticket counts for its cashier (who took the payment). Sales, covers, tips
and the basket count the tickets that are not voided; discounts count every line of the
period's tickets (a discount given is given, even when the sale was refunded later). A void
is a ticket cancelled by a VOID entry of the fiscal journal dated in the period — in Auberge
a refund is exactly that (the ticket's payments reversed), so "voids" is their number and
"refunded" their amount."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from billing.models import Ticket, TicketLine
from core.models import Property
from core.money import ZERO, split_largest_remainder
from reporting.periods import Period
from reporting.selectors import _voided_tickets, percent, ratio
from timeclock.selectors import seconds_worked, settings_of

User = get_user_model()
MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass
class StaffFigures:
    """One person's figures over the period (money as Decimal, TTC unless `net`)."""

    user_id: int
    username: str = ""
    name: str = ""
    tickets: int = 0  # every ticket issued (the base of the void rate)
    sales_tickets: int = 0  # the tickets not voided
    gross: Decimal = ZERO
    net: Decimal = ZERO
    covers: int = 0
    tips: Decimal = ZERO
    discounts: Decimal = ZERO
    before_discounts: Decimal = ZERO  # the lines' totals before their discounts
    voids: int = 0
    refunded: Decimal = ZERO
    tip_share: Decimal | None = None  # the pooled tips' share (pooling chosen)
    seconds_worked: int = 0

    @property
    def average_basket(self) -> Decimal | None:
        """Net revenue ÷ tickets, as the dashboard's basket."""
        return ratio(self.net, self.sales_tickets)

    @property
    def discount_rate(self) -> Decimal | None:
        return percent(self.discounts, self.before_discounts)

    @property
    def void_rate(self) -> Decimal | None:
        return percent(self.voids, self.tickets)


def staff_performance(*, properties, period: Period) -> list[StaffFigures]:
    """Each person's figures over `period` at `properties` (ids or rows), by name. Four
    queries: tickets, lines, voids, people."""
    counted = Q(voided=False)
    tickets = (
        Ticket.objects.filter(
            property__in=properties,
            business_date__gte=period.start,
            business_date__lte=period.end,
        )
        .annotate(voided=Exists(_voided_tickets()))
        .values("cashier")
        .annotate(
            n=Count("pk"),
            sales=Count("pk", filter=counted),
            gross=Coalesce(Sum("total", filter=counted), Value(ZERO), output_field=MONEY),
            net=Coalesce(
                Sum(F("total") - F("total_vat"), filter=counted), Value(ZERO), output_field=MONEY
            ),
            tips=Coalesce(Sum("tip", filter=counted), Value(ZERO), output_field=MONEY),
            covers=Coalesce(
                Sum("order__covers", filter=counted), Value(0), output_field=IntegerField()
            ),
        )
        .order_by()
    )
    lines = (
        TicketLine.objects.filter(
            ticket__property__in=properties,
            ticket__business_date__gte=period.start,
            ticket__business_date__lte=period.end,
        )
        .values("ticket__cashier")
        .annotate(
            discounted=Sum("discount"),
            before=Sum(F("total") + F("discount"), output_field=MONEY),
        )
        .order_by()
    )
    voids = (
        Ticket.objects.filter(property__in=properties)
        .filter(Exists(_voided_tickets(voided_in=period)))
        .values("cashier")
        .annotate(n=Count("pk"), amount=Sum("total"))
        .order_by()
    )
    figures: dict[int, StaffFigures] = {}

    def of(user_id: int) -> StaffFigures:
        return figures.setdefault(user_id, StaffFigures(user_id=user_id))

    for row in tickets:
        f = of(row["cashier"])
        f.tickets, f.sales_tickets = row["n"], row["sales"]
        f.gross, f.net, f.tips, f.covers = row["gross"], row["net"], row["tips"], row["covers"]
    for row in lines:
        f = of(row["ticket__cashier"])
        f.discounts, f.before_discounts = row["discounted"] or ZERO, row["before"] or ZERO
    for row in voids:
        f = of(row["cashier"])
        f.voids, f.refunded = row["n"], row["amount"] or ZERO
    for pk, username, first, last in User.objects.filter(pk__in=list(figures)).values_list(
        "pk", "username", "first_name", "last_name"
    ):
        figures[pk].username = username
        figures[pk].name = f"{first} {last}".strip() or username
    return sorted(figures.values(), key=lambda f: (f.name.lower(), f.user_id))


@dataclass(frozen=True)
class TipsPool:
    """The period's tips shared by hours worked: the pool, and each person's hours and share
    (the shares sum exactly to the pool)."""

    total: Decimal
    shares: dict[int, Decimal]
    seconds: dict[int, int]


def tips_pool(*, property: Property, period: Period, figures: list[StaffFigures]) -> TipsPool:
    """Pool the tips of `figures` (this property's) and share them by the seconds each person
    worked on the period's days (largest remainder: to the cent). Two more queries."""
    total = sum((f.tips for f in figures), ZERO)
    seconds = seconds_worked(property=property, start=period.start, end=period.end)
    return TipsPool(
        total=total,
        shares=split_largest_remainder(total, seconds, property.currency),
        seconds=seconds,
    )


def staff_report(
    *, property: Property, period: Period
) -> tuple[list[StaffFigures], TipsPool | None]:
    """The staff screen's figures: the performance of the property's people, and their share
    of the pooled tips (with the people who worked but sold nothing) when it is chosen."""
    figures = staff_performance(properties=[property.pk], period=period)
    if not settings_of(property).tips_pooled:
        return figures, None
    pool = tips_pool(property=property, period=period, figures=figures)
    known = {f.user_id for f in figures}
    missing = [pk for pk in pool.seconds if pk not in known]
    if missing:
        for pk, username, first, last in User.objects.filter(pk__in=missing).values_list(
            "pk", "username", "first_name", "last_name"
        ):
            figures.append(
                StaffFigures(
                    user_id=pk, username=username, name=f"{first} {last}".strip() or username
                )
            )
        figures.sort(key=lambda f: (f.name.lower(), f.user_id))
    for f in figures:
        f.tip_share = pool.shares.get(f.user_id, ZERO)
        f.seconds_worked = pool.seconds.get(f.user_id, 0)
    return figures, pool
