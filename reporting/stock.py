"""Margins behind the bar and the kitchen (INV-5, REP): the theoretical cost of each product
from its recipe at the items' average cost, the margin per product and outlet over a period,
and the usage variance (what the recipes say was used against what the counts found).
Reads tickets (billing) and the stock ledger (inventory); owns nothing."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Sum

from billing.models import TicketLine
from core.models import Property
from inventory.models import RecipeLine, StockMovement
from inventory.services.stock import recipe_base_quantity
from reporting.periods import Period
from reporting.selectors import tickets_counted

CENT = Decimal("0.01")
VALUE = DecimalField(max_digits=20, decimal_places=6)


def recipe_costs(*, property: Property) -> dict[int, Decimal]:
    """{product: theoretical cost of one unit}: each ingredient's base quantity (yield
    included) at its item's average cost, unrounded until the report rounds a total."""
    costs: dict[int, Decimal] = defaultdict(Decimal)
    for line in RecipeLine.objects.filter(product__property=property).select_related("item"):
        costs[line.product_id] += recipe_base_quantity(line) * line.item.average_cost
    return dict(costs)


@dataclass(frozen=True)
class MarginRow:
    product_id: int
    product: str
    outlet: str
    quantity: Decimal
    net: Decimal
    cost: Decimal

    @property
    def margin(self) -> Decimal:
        return self.net - self.cost

    @property
    def margin_rate(self) -> Decimal | None:
        return (self.margin * 100 / self.net).quantize(CENT, ROUND_HALF_UP) if self.net else None


def margins(*, property: Property, period: Period) -> list[MarginRow]:
    """Per product with a recipe and per outlet: units sold, net revenue (excl. VAT),
    theoretical cost and margin. Two queries (recipes, grouped ticket lines)."""
    costs = recipe_costs(property=property)
    rows = (
        TicketLine.objects.filter(
            ticket__in=tickets_counted([property.pk], period).values("pk"),
            product_id__in=list(costs),
        )
        .values("product_id", "product__name_fr", "ticket__outlet")
        .annotate(quantity=Sum("quantity"), net=Sum("net"))
        .order_by("ticket__outlet", "product__name_fr")
    )
    return [
        MarginRow(
            product_id=r["product_id"],
            product=r["product__name_fr"],
            outlet=r["ticket__outlet"],
            quantity=r["quantity"],
            net=r["net"],
            cost=(r["quantity"] * costs[r["product_id"]]).quantize(CENT, ROUND_HALF_UP),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class UsageRow:
    item_id: int
    item: str
    unit: str
    theoretical: Decimal  # used according to the recipes of what was sold (refunds netted)
    variance: Decimal  # what the approved counts added (+) or found missing (−)
    variance_value: Decimal  # at the cost of each count

    @property
    def actual(self) -> Decimal:
        return self.theoretical - self.variance


def usage_variance(*, property: Property, period: Period) -> list[UsageRow]:
    """Per item over the period's business days (in the property's time zone): one grouped
    query on the ledger."""
    start, end = _bounds(property, period)
    value = ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=VALUE)
    moves = (
        StockMovement.objects.filter(
            property=property,
            created_at__gte=start,
            created_at__lt=end,
            kind__in=[StockMovement.Kind.SALE, StockMovement.Kind.REFUND, StockMovement.Kind.COUNT],
        )
        .values("item_id", "item__name", "item__base_unit", "kind")
        .annotate(total=Sum("quantity"), worth=Sum(value))
    )
    by_item: dict[int, dict] = {}
    for m in moves:
        row = by_item.setdefault(
            m["item_id"],
            {
                "name": m["item__name"],
                "unit": m["item__base_unit"],
                "used": Decimal(0),
                "variance": Decimal(0),
                "value": Decimal(0),
            },
        )
        if m["kind"] == StockMovement.Kind.COUNT:
            row["variance"] += m["total"]
            row["value"] += m["worth"]
        else:
            row["used"] -= m["total"]
    return [
        UsageRow(
            item_id=pk,
            item=r["name"],
            unit=r["unit"],
            theoretical=r["used"],
            variance=r["variance"],
            variance_value=r["value"].quantize(CENT, ROUND_HALF_UP),
        )
        for pk, r in sorted(by_item.items(), key=lambda kv: kv[1]["name"])
    ]


def _bounds(property: Property, period: Period) -> tuple[datetime, datetime]:
    """The moments the period's business days begin and end (the roll hour, local time)."""
    roll = time(property.business_day_roll_hour)
    start = datetime.combine(period.start, roll, tzinfo=property.tz)
    return start, datetime.combine(period.end_exclusive, roll, tzinfo=property.tz)
