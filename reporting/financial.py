"""The consolidated financial report (REP-3): revenue by VAT rate × revenue type, per day and
month, per property and rolled up per organisation.

It counts the sales exactly as the accounting entries do (billing.services.accounting, the
FEC's VE journal): POS ticket lines (paid or charged to a room) + folio lines except the POS
lines charged to a room (their ticket counts) − voided tickets on the void's day + credit-note
lines, all by business date. The tourist tax is shown on its own rows: collected for the
commune, not revenue. A fixed number of queries whatever the period."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from billing.models import FolioLine, Invoice, InvoiceLine, JournalEntry, TicketLine
from core.models import Property
from core.money import ZERO
from inventory.models import RevenueCategory
from reporting.facts import RECEIPTED_SOURCE_PREFIX
from reporting.periods import Period

TOURIST_TAX = RevenueCategory.TOURIST_TAX


@dataclass
class FinancialRow:
    property: str
    day: date
    category: str
    rate: Decimal
    net: Decimal = ZERO
    vat: Decimal = ZERO
    gross: Decimal = ZERO


@dataclass
class FinancialReport:
    period: Period
    rows: list[FinancialRow] = field(default_factory=list)  # per property, day, type, rate

    def grouped(self, *, by_month: bool, by_property: bool) -> list[FinancialRow]:
        """The rows summed per day (or month), per property (or for all of them)."""
        sums: dict[tuple, FinancialRow] = {}
        for row in self.rows:
            day = row.day.replace(day=1) if by_month else row.day
            name = row.property if by_property else ""
            key = (day, name, row.category == TOURIST_TAX, row.category, -row.rate)
            acc = sums.setdefault(key, FinancialRow(name, day, row.category, row.rate))
            acc.net += row.net
            acc.vat += row.vat
            acc.gross += row.gross
        return [sums[k] for k in sorted(sums)]

    def totals_by_rate(self) -> dict[Decimal, tuple[Decimal, Decimal]]:
        out: dict[Decimal, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
        for row in self.rows:
            if row.category != TOURIST_TAX:
                out[row.rate][0] += row.net
                out[row.rate][1] += row.vat
        return {rate: (v[0], v[1]) for rate, v in sorted(out.items(), reverse=True)}

    def totals_by_category(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for row in self.rows:
            out[row.category] += row.gross if row.category == TOURIST_TAX else row.net
        return dict(sorted(out.items()))


def financial_report(*, properties: list[Property], period: Period) -> FinancialReport:
    """Revenue by VAT rate × revenue type for `properties` over `period` (business dates)."""
    ids = [p.pk for p in properties]
    names = {p.pk: p.name for p in properties}
    cells: dict[tuple, FinancialRow] = {}

    def add(prop_id, day, category, rate, net, vat, gross, sign=1):
        key = (prop_id, day, category, Decimal(rate))
        row = cells.setdefault(key, FinancialRow(names[prop_id], day, category, Decimal(rate)))
        row.net += sign * net
        row.vat += sign * vat
        row.gross += sign * gross

    sums = {"net": Sum("net"), "vat": Sum("vat_amount"), "gross": Sum("total")}
    in_period = {"gte": period.start, "lte": period.end}
    for row in (
        TicketLine.objects.filter(
            ticket__property__in=ids,
            ticket__business_date__gte=in_period["gte"],
            ticket__business_date__lte=in_period["lte"],
        )
        .values("ticket__property", "ticket__business_date", "revenue_category", "vat_rate")
        .annotate(**sums)
        .order_by()
    ):
        add(
            row["ticket__property"],
            row["ticket__business_date"],
            row["revenue_category"],
            row["vat_rate"],
            row["net"],
            row["vat"],
            row["gross"],
        )
    voids = dict(
        JournalEntry.objects.filter(
            property__in=ids,
            chain=JournalEntry.Chain.FISCAL,
            kind=JournalEntry.Kind.VOID,
            document_type="billing.ticket",
            business_date__gte=period.start,
            business_date__lte=period.end,
        ).values_list("document_id", "business_date")
    )
    if voids:
        for row in (
            TicketLine.objects.filter(ticket_id__in=[int(i) for i in voids])
            .values("ticket", "ticket__property", "revenue_category", "vat_rate")
            .annotate(**sums)
            .order_by()
        ):
            add(
                row["ticket__property"],
                voids[str(row["ticket"])],
                row["revenue_category"],
                row["vat_rate"],
                row["net"],
                row["vat"],
                row["gross"],
                sign=-1,
            )
    for row in (
        FolioLine.objects.filter(
            folio__property__in=ids,
            business_date__gte=period.start,
            business_date__lte=period.end,
        )
        .exclude(source__startswith=RECEIPTED_SOURCE_PREFIX)
        .values("folio__property", "business_date", "revenue_category", "vat_rate")
        .annotate(**sums)
        .order_by()
    ):
        add(
            row["folio__property"],
            row["business_date"],
            row["revenue_category"],
            row["vat_rate"],
            row["net"],
            row["vat"],
            row["gross"],
        )
    for row in (
        InvoiceLine.objects.filter(
            invoice__property__in=ids,
            invoice__kind=Invoice.Kind.CREDIT_NOTE,
            invoice__business_date__gte=period.start,
            invoice__business_date__lte=period.end,
        )
        .values("invoice__property", "invoice__business_date", "revenue_category", "vat_rate")
        .annotate(**sums)
        .order_by()
    ):
        add(
            row["invoice__property"],
            row["invoice__business_date"],
            row["revenue_category"],
            row["vat_rate"],
            row["net"],
            row["vat"],
            row["gross"],
        )
    report = FinancialReport(period=period)
    report.rows = [cells[k] for k in sorted(cells, key=lambda k: (k[1], k[0], k[2], -k[3]))]
    return report
