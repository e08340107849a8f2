"""The dashboard as tables: each chart is drawn from the table beneath it, and the same tables
are the CSV and XLSX downloads (one definition, three renderings)."""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from reporting import formatting
from reporting.selectors import Dashboard

MONEY, COUNT, PERCENT, TEXT = "money", "count", "percent", "text"


@dataclass
class Table:
    key: str
    title: str
    note: str
    chart: str  # bar, line, doughnut or "" (no chart)
    columns: list[tuple[str, str]]  # (heading, kind)
    rows: list[list] = field(default_factory=list)

    def shown(self) -> list[list[str]]:
        """The rows as the screen shows them (amounts in the active language)."""
        return [
            [_show(value, kind) for value, (_h, kind) in zip(row, self.columns, strict=True)]
            for row in self.rows
        ]


def _show(value, kind: str) -> str:
    if kind == MONEY:
        return formatting.money(value)
    if kind == PERCENT:
        return formatting.percent(value)
    if kind == COUNT:
        return formatting.number(value, 0 if value == int(value or 0) else 2)
    return str(value)


@dataclass
class Kpi:
    key: str
    label: str
    value: str
    last_year: str
    note: str
    budget: str = ""


def kpis(d: Dashboard, ly: Dashboard, budget=None) -> list[Kpi]:
    """The headline figures, this period, the same period last year and the budget (when one
    is entered), with their convention."""
    m, p, n = formatting.money, formatting.percent, formatting.number
    rows = [
        ("occupancy", _("Occupancy"), p, "occupancy", _("Rooms sold ÷ rooms available.")),
        ("adr", _("ADR"), m, "adr", _("Room revenue HT ÷ rooms sold.")),
        ("revpar", _("RevPAR"), m, "revpar", _("Room revenue HT ÷ rooms available.")),
        (
            "room_revenue",
            _("Room revenue"),
            m,
            "room_revenue",
            _("Net of the room nights posted for the period's nights."),
        ),
        (
            "total_revenue",
            _("Total revenue"),
            m,
            "total_revenue",
            _("All revenue HT of the period's business days, without tourist tax."),
        ),
        (
            "trevpar",
            _("TRevPAR"),
            m,
            "trevpar",
            _("All revenue HT (rooms, bar, restaurant, spa, shop) ÷ rooms available."),
        ),
        (
            "available",
            _("Rooms available"),
            n,
            "room_nights_available",
            _("Room-nights in service; out-of-order rooms are not available."),
        ),
        ("sold", _("Rooms sold"), n, "room_nights_sold", _("Nights posted by the night audit.")),
        ("alos", _("ALOS (nights)"), lambda v: n(v, 2), "alos", _("Nights ÷ departed stays.")),
        ("cancellations", _("Cancellations"), n, "cancellations", _("Cancelled in the period.")),
        ("no_shows", _("No-shows"), n, "no_shows", _("Arrivals of the period that never came.")),
        (
            "otb_30",
            _("On the books, next 30 days"),
            p,
            "otb_30",
            _("Rooms booked ÷ rooms in service, from today."),
        ),
        ("otb_90", _("On the books, next 90 days"), p, "otb_90", _("Same, over 90 days.")),
        (
            "pickup",
            _("Pickup"),
            n,
            "pickup",
            _("Future room-nights booked on the period's last day."),
        ),
        (
            "upsell",
            _("Upsell rate"),
            p,
            "upsell_rate",
            _("Departed stays with at least one extra ÷ departed stays."),
        ),
        (
            "extra_per_stay",
            _("Extras per stay"),
            m,
            "extra_revenue_per_stay",
            _("Revenue HT other than the room ÷ departed stays."),
        ),
        (
            "spa",
            _("Spa conversion"),
            p,
            "spa_conversion",
            _("Departed stays with a spa sale ÷ departed stays."),
        ),
        (
            "checkout",
            _("Average check-out"),
            str,
            "checkout_average",
            _("Mean check-out time of departed stays (median beside)."),
        ),
        (
            "late",
            _("Late check-outs"),
            p,
            "late_checkout_share",
            _("Share of check-outs after the official check-out time."),
        ),
        ("covers", _("Covers"), n, "covers", _("Restaurant covers.")),
        (
            "per_cover",
            _("Average per cover"),
            m,
            "average_per_cover",
            _("Restaurant revenue HT ÷ covers."),
        ),
    ]
    out = []
    for key, label, fmt, attr, note in rows:
        value, before = getattr(d, attr), getattr(ly, attr)
        shown = fmt(value) if value not in (None, "") else "—"
        if key == "checkout" and d.checkout_median:
            shown = f"{shown} ({_('median')} {d.checkout_median})"
        planned = ""
        if budget is not None and key in ("occupancy", "room_revenue", "total_revenue", "revpar"):
            target = getattr(budget, key)
            planned = fmt(target) if target is not None else "—"
        out.append(
            Kpi(key, label, shown, fmt(before) if before not in (None, "") else "—", note, planned)
        )
    return out


def tables(d: Dashboard, ly: Dashboard) -> list[Table]:
    """Every table of the dashboard, in the order of the screen."""
    last_year: dict = {}
    for row in ly.by_day:  # last year's 29 February sits beside this year's 28th
        last_year.setdefault(_next_year(row["day"]), row)
    by_day = Table(
        "days",
        _("Occupancy and revenue by day"),
        _("Occupancy of the night; revenue HT, without tourist tax."),
        "line",
        [
            (_("Day"), TEXT),
            (_("Occupancy"), PERCENT),
            (_("Occupancy last year"), PERCENT),
            (_("Room revenue"), MONEY),
            (_("Sales revenue"), MONEY),
        ],
    )
    for row in d.by_day:
        before = last_year.get(row["day"], {})
        by_day.rows.append(
            [
                row["day"].isoformat(),
                row["occupancy"],
                before.get("occupancy"),
                row["room_revenue"],
                row["sales_revenue"],
            ]
        )
    out = [by_day]
    out.append(
        Table(
            "channels",
            _("Channel mix"),
            _("Room-nights and room revenue HT per booking channel."),
            "doughnut",
            [
                (_("Channel"), TEXT),
                (_("Room-nights"), COUNT),
                (_("Share"), PERCENT),
                (_("Room revenue"), MONEY),
            ],
            [[_channel(r["channel"]), r["nights"], r["share"], r["revenue"]] for r in d.channels],
        )
    )
    out.append(
        Table(
            "outlets",
            _("Sales by outlet"),
            _("Average basket = revenue HT ÷ tickets."),
            "bar",
            [
                (_("Outlet"), TEXT),
                (_("Revenue"), MONEY),
                (_("Tickets"), COUNT),
                (_("Average basket"), MONEY),
            ],
            [[r["outlet"], r["revenue"], r["n"], r["basket"]] for r in d.outlets],
        )
    )
    out.append(
        Table(
            "basket_channels",
            _("Average basket per channel"),
            _(
                "Paid at the till, charged to the room, extras booked on the booking engine "
                "(per stay)."
            ),
            "bar",
            [
                (_("Channel"), TEXT),
                (_("Revenue"), MONEY),
                (_("Baskets"), COUNT),
                (_("Average basket"), MONEY),
            ],
            [[r["channel"], r["revenue"], r["n"], r["basket"]] for r in d.basket_channels],
        )
    )
    simple = [
        ("categories", _("Sales by category"), "category", "doughnut"),
        ("hours", _("Sales by hour"), "hour", "bar"),
        ("terminals", _("Sales by terminal"), "terminal", "bar"),
    ]
    for key, title, attr, chart in simple:
        out.append(
            Table(
                key,
                title,
                _("Revenue HT of the tickets, without voided tickets."),
                chart,
                [(title, TEXT), (_("Revenue"), MONEY)],
                [[r[attr], r["revenue"]] for r in getattr(d, key)],
            )
        )
    out.append(
        Table(
            "employees",
            _("Sales by employee"),
            _("Revenue HT of the tickets they cashed; discounts given."),
            "bar",
            [(_("Employee"), TEXT), (_("Revenue"), MONEY), (_("Discounts"), MONEY)],
            [[r["employee"], r["revenue"], r["discount"]] for r in d.employees],
        )
    )
    out.append(
        Table(
            "products",
            _("Top products"),
            _("The ten products with the most revenue HT."),
            "bar",
            [(_("Product"), TEXT), (_("Revenue"), MONEY), (_("Quantity"), COUNT)],
            [[r["product"], r["revenue"], r["quantity"]] for r in d.top_products],
        )
    )
    out.append(
        Table(
            "departments",
            _("Spend per stay by department"),
            _("Folio revenue HT of the stays that departed in the period ÷ those stays."),
            "bar",
            [(_("Department"), TEXT), (_("Revenue"), MONEY), (_("Per stay"), MONEY)],
            [[r["category"], r["revenue"], r["per_stay"]] for r in d.departments],
        )
    )
    if len(d.per_property) > 1:
        out.append(
            Table(
                "properties",
                _("Per property"),
                _("Each property of the organisation."),
                "bar",
                [
                    (_("Property"), TEXT),
                    (_("Room revenue"), MONEY),
                    (_("Occupancy"), PERCENT),
                    (_("ADR"), MONEY),
                    (_("RevPAR"), MONEY),
                ],
                [
                    [r["property"], r["revenue"], r["occupancy"], r["adr"], r["revpar"]]
                    for r in d.per_property
                ],
            )
        )
    return out


def _next_year(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _channel(value: str) -> str:
    from inventory.models import Channel

    try:
        return str(Channel(value).label)
    except ValueError:
        return value or _("No reservation")


def _raw(value):
    if isinstance(value, Decimal):
        return value
    return "" if value is None else value


def as_csv(tables_: list[Table]) -> str:
    """Every table, one after the other, separated by an empty line (semicolons, for a French
    spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for table in tables_:
        writer.writerow([table.title])
        writer.writerow([h for h, _k in table.columns])
        for row in table.rows:
            writer.writerow([_raw(v) for v in row])
        writer.writerow([])
    return out.getvalue()


def as_xlsx(tables_: list[Table], kpis_: list[Kpi]) -> bytes:
    """A workbook: the headline figures, then one sheet per table, amounts as numbers."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    amount = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet(_("Summary")[:31])
    headings = (_("Figure"), _("Period"), _("Last year"), _("Budget"), _("Convention"))
    for col, heading in enumerate(headings):
        sheet.write(0, col, heading, bold)
    for row, kpi in enumerate(kpis_, start=1):
        sheet.write_row(
            row, 0, [str(kpi.label), kpi.value, kpi.last_year, kpi.budget, str(kpi.note)]
        )
    used = {_("Summary")[:31].lower()}
    for table in tables_:
        # a sheet's name: 31 characters at most, none of []:*?/\, unique (case-insensitive)
        name = "".join(c for c in table.title if c not in "[]:*?/\\")[:31]
        base, n = name, 2
        while name.lower() in used:
            name = f"{base[:28]} {n}"
            n += 1
        used.add(name.lower())
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, [h for h, _k in table.columns], bold)
        for r, row in enumerate(table.rows, start=1):
            for c, (value, (_h, kind)) in enumerate(zip(row, table.columns, strict=True)):
                if value is None:
                    continue
                if kind in (MONEY, PERCENT, COUNT):
                    sheet.write_number(r, c, float(value), amount if kind == MONEY else None)
                else:
                    sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()
