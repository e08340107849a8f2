"""The Z report a French till prints (POS-7, REFERENCE §1), for one cash session or for a
whole business day: the ticket numbers, gross / net / VAT by rate, sales by revenue category
and by payment method, refunds, voids, discounts, tips, cash in / out, the opening floats,
what was counted against what was expected per method, and the perpetual grand total.

Every figure is a SQL aggregate over the immutable documents (a fixed number of queries,
whatever the day's size); the same report is shown on screen, as a PDF (WeasyPrint) and on
the till's printer (a `report` print job, ESC/POS)."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.models import JournalEntry, Payment, Ticket, TicketLine, TicketVat
from core import formatting
from core.models import Property
from core.money import ZERO
from devices.documents import ReportDocument, ReportRow, ReportSection
from inventory.models import RevenueCategory
from pos.models import CashMovement, CashSession
from pos.services.cash import COUNTED_METHODS, terminal_label


@dataclass
class ZReport:
    """What a Z report says; amounts are Decimals, labels in the active language."""

    property: Property
    title: str
    start: datetime | None
    end: datetime | None
    business_date: date
    session: CashSession | None = None
    first_ticket: int | None = None
    last_ticket: int | None = None
    ticket_count: int = 0
    gross: Decimal = ZERO
    vat_total: Decimal = ZERO
    net: Decimal = ZERO
    vat: list[dict] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    methods: list[dict] = field(default_factory=list)
    refund_count: int = 0
    refunds: Decimal = ZERO
    void_count: int = 0
    voids: Decimal = ZERO
    discounts: Decimal = ZERO
    tips: Decimal = ZERO
    cash_in: Decimal = ZERO
    cash_out: Decimal = ZERO
    movements: list[CashMovement] = field(default_factory=list)
    opening_float: Decimal = ZERO
    counts: list[dict] = field(default_factory=list)
    sessions: int = 0
    open_sessions: int = 0
    perpetual_total: Decimal = ZERO
    perpetual_total_abs: Decimal = ZERO


def _label(method: str) -> str:
    return str(Payment.Method(method).label) if method in Payment.Method.values else method


def _fill(report: ZReport, tickets: QuerySet, payments: QuerySet, voids: QuerySet) -> None:
    """The figures of `tickets`, `payments` and `voids` (one aggregate query each, and one
    each for VAT rates and revenue categories)."""
    agg = tickets.aggregate(
        first=Min("number"),
        last=Max("number"),
        count=Count("pk"),
        gross=Sum("total"),
        vat=Sum("total_vat"),
        tips=Sum("tip"),
    )
    report.first_ticket, report.last_ticket = agg["first"], agg["last"]
    report.ticket_count = agg["count"]
    report.gross = agg["gross"] or ZERO
    report.vat_total = agg["vat"] or ZERO
    report.net = report.gross - report.vat_total
    report.tips = agg["tips"] or ZERO
    ids = tickets.values("pk")
    report.vat = list(
        TicketVat.objects.filter(ticket__in=ids)
        .values("rate")
        .annotate(net=Sum("net"), vat=Sum("vat"), gross=Sum("gross"))
        .order_by("-rate")
    )
    rows = (
        TicketLine.objects.filter(ticket__in=ids)
        .values("revenue_category")
        .annotate(gross=Sum("total"), net=Sum("net"), discount=Sum("discount"))
        .order_by("revenue_category")
    )
    for row in rows:
        category = row["revenue_category"]
        label = RevenueCategory(category).label if category in RevenueCategory.values else ""
        report.categories.append({**row, "label": str(label or category)})
        report.discounts += row["discount"] or ZERO
    methods = (
        payments.values("method")
        .annotate(
            total=Sum("amount", filter=Q(amount__gt=0)),
            count=Count("pk", filter=Q(amount__gt=0)),
            refunds=Sum("amount", filter=Q(amount__lt=0)),
            refund_count=Count("pk", filter=Q(amount__lt=0)),
        )
        .order_by("method")
    )
    for row in methods:
        report.methods.append(
            {
                "method": row["method"],
                "label": _label(row["method"]),
                "count": row["count"],
                "total": row["total"] or ZERO,
                "refund_count": row["refund_count"],
                "refunds": row["refunds"] or ZERO,
                "net": (row["total"] or ZERO) + (row["refunds"] or ZERO),
            }
        )
        report.refund_count += row["refund_count"]
        report.refunds += row["refunds"] or ZERO
    void = voids.aggregate(count=Count("pk"), gross=Sum("gross"))
    report.void_count = void["count"]
    report.voids = void["gross"] or ZERO


def _movements(report: ZReport, movements: QuerySet) -> None:
    """Cash put in and taken out, each with its reason (one query)."""
    report.movements = list(movements.select_related("actor").order_by("created_at", "pk"))
    report.cash_in = sum((m.amount for m in report.movements if m.amount > 0), ZERO)
    report.cash_out = sum((m.amount for m in report.movements if m.amount < 0), ZERO)


def _perpetual(report: ZReport, *, until: datetime | None, business_date: date) -> None:
    """The fiscal chain's perpetual grand totals as they stood at the report's end."""
    entries = JournalEntry.objects.filter(property=report.property, chain=JournalEntry.Chain.FISCAL)
    if until is not None:
        entries = entries.filter(created_at__lte=until)
    else:
        entries = entries.filter(business_date__lte=business_date)
    last = entries.order_by("-sequence").values("perpetual_total", "perpetual_total_abs").first()
    if last:
        report.perpetual_total = last["perpetual_total"]
        report.perpetual_total_abs = last["perpetual_total_abs"]


def _counts(sessions: list[CashSession]) -> list[dict]:
    """Counted against expected per method over closed sessions (their blind counts)."""
    out: dict[str, dict] = {}
    for session in sessions:
        counts = dict(session.counts or {})
        if not counts and session.counted_cash is not None:  # closed before counts by method
            counts = {
                "cash": {
                    "counted": session.counted_cash,
                    "expected": session.expected_cash,
                    "difference": session.difference,
                }
            }
        for method, row in counts.items():
            acc = out.setdefault(
                method,
                {
                    "method": method,
                    "label": _label(method),
                    "counted": ZERO,
                    "expected": ZERO,
                    "difference": ZERO,
                },
            )
            for key in ("counted", "expected", "difference"):
                acc[key] += Decimal(str(row[key]))
    order = {m: i for i, m in enumerate(COUNTED_METHODS)}
    return sorted(out.values(), key=lambda r: order.get(r["method"], 99))


def z_report_for_session(*, session: CashSession) -> ZReport:
    """The Z report of one drawer, from its opening to its close (X report while open)."""
    end = session.closed_at or timezone.now()
    terminal = session.terminal
    report = ZReport(
        property=session.property,
        title=_("Z report") if session.closed_at else _("X report"),
        start=session.opened_at,
        end=end,
        business_date=session.business_date,
        session=session,
        sessions=1,
        open_sessions=0 if session.closed_at else 1,
        opening_float=session.opening_float,
    )
    label = terminal_label(terminal)
    window = {"created_at__gte": session.opened_at, "created_at__lte": end}
    _fill(
        report,
        tickets=Ticket.objects.filter(
            property_id=session.property_id,
            outlet=terminal.outlet.name,
            terminal=terminal.name,
            **window,
        ),
        payments=Payment.objects.filter(property_id=session.property_id, terminal=label, **window),
        voids=JournalEntry.objects.filter(
            property_id=session.property_id,
            chain=JournalEntry.Chain.FISCAL,
            kind=JournalEntry.Kind.VOID,
            terminal=label,
            # journal times are kept to the second
            created_at__gte=session.opened_at.replace(microsecond=0),
            created_at__lte=end,
        ),
    )
    _movements(report, CashMovement.objects.filter(session=session))
    if session.closed_at:
        report.counts = _counts([session])
    _perpetual(report, until=end, business_date=session.business_date)
    return report


def z_report_for_day(*, property: Property, business_date: date) -> ZReport:
    """The Z report of a business day over every till of the property."""
    report = ZReport(
        property=property,
        title=_("Z report of the day"),
        start=None,
        end=None,
        business_date=business_date,
    )
    _fill(
        report,
        tickets=Ticket.objects.filter(property=property, business_date=business_date),
        payments=Payment.objects.filter(property=property, business_date=business_date),
        voids=JournalEntry.objects.filter(
            property=property,
            chain=JournalEntry.Chain.FISCAL,
            kind=JournalEntry.Kind.VOID,
            business_date=business_date,
        ),
    )
    _movements(report, CashMovement.objects.filter(property=property, business_date=business_date))
    sessions = list(
        CashSession.objects.filter(property=property, business_date=business_date).only(
            "status", "opening_float", "counts", "counted_cash", "expected_cash", "difference"
        )
    )
    report.sessions = len(sessions)
    report.open_sessions = sum(1 for s in sessions if s.status == CashSession.Status.OPEN)
    report.opening_float = sum((s.opening_float for s in sessions), ZERO)
    report.counts = _counts([s for s in sessions if s.status == CashSession.Status.CLOSED])
    _perpetual(report, until=None, business_date=business_date)
    return report


# --- the same report on paper and as a PDF ------------------------------------------------


def _rows(report: ZReport, language: str) -> list[ReportSection]:
    def m(value) -> str:
        return formatting.money(value, language=language)

    tickets = (
        _("T%(first)06d to T%(last)06d")
        % {"first": report.first_ticket, "last": report.last_ticket}
        if report.ticket_count
        else "—"
    )
    sections = [
        ReportSection(
            _("Tickets"),
            (
                ReportRow(_("Numbers"), tickets),
                ReportRow(_("Tickets issued"), formatting.number(report.ticket_count, 0)),
            ),
        ),
        ReportSection(
            _("Sales by VAT rate"),
            tuple(
                ReportRow(
                    _("VAT %(rate)s: net %(net)s, VAT %(vat)s")
                    % {
                        "rate": formatting.rate(r["rate"], language=language),
                        "net": m(r["net"]),
                        "vat": m(r["vat"]),
                    },
                    m(r["gross"]),
                )
                for r in report.vat
            )
            + (
                ReportRow(_("Total excl. VAT"), m(report.net)),
                ReportRow(_("VAT"), m(report.vat_total)),
                ReportRow(_("Total incl. VAT"), m(report.gross)),
            ),
        ),
        ReportSection(
            _("Sales by revenue category"),
            tuple(ReportRow(c["label"], m(c["gross"])) for c in report.categories),
        ),
        ReportSection(
            _("Payments by method"),
            tuple(
                ReportRow(f"{r['label']} ({formatting.number(r['count'], 0)})", m(r["total"]))
                for r in report.methods
            ),
        ),
        ReportSection(
            _("Corrections"),
            (
                ReportRow(
                    _("Refunds (%(count)s)") % {"count": report.refund_count}, m(report.refunds)
                ),
                ReportRow(_("Voids (%(count)s)") % {"count": report.void_count}, m(report.voids)),
                ReportRow(_("Discounts"), m(report.discounts)),
                ReportRow(_("Tips"), m(report.tips)),
            ),
        ),
        ReportSection(
            _("Cash drawer"),
            (
                ReportRow(_("Opening float"), m(report.opening_float)),
                ReportRow(_("Cash in"), m(report.cash_in)),
                ReportRow(_("Cash out"), m(report.cash_out)),
            )
            + tuple(ReportRow(f"  {mv.reason}", m(mv.amount)) for mv in report.movements),
        ),
    ]
    if report.counts:
        rows: list[ReportRow] = []
        for c in report.counts:
            rows += [
                ReportRow(c["label"], ""),
                ReportRow("  " + _("Counted"), m(c["counted"])),
                ReportRow("  " + _("Expected"), m(c["expected"])),
                ReportRow("  " + _("Difference"), m(c["difference"])),
            ]
        sections.append(ReportSection(_("Counted and expected"), tuple(rows)))
    sections.append(
        ReportSection(
            _("Grand total"),
            (
                ReportRow(_("Perpetual grand total"), m(report.perpetual_total)),
                ReportRow(_("Perpetual total (absolute)"), m(report.perpetual_total_abs)),
            ),
        )
    )
    return sections


def z_report_document(*, report: ZReport, language: str) -> ReportDocument:
    """The report as the neutral document a till's printer prints (devices)."""
    prop = report.property
    with translation.override(language):
        header = [prop.legal_name or prop.name]
        if prop.siret:
            header.append(_("SIRET %(siret)s") % {"siret": prop.siret})
        header.append(formatting.day(report.business_date, language=language))
        if report.session is not None:
            header.append(terminal_label(report.session.terminal))
        return ReportDocument(
            title=report.title,
            printed_at=timezone.localtime(timezone.now()),
            header_lines=tuple(header),
            sections=tuple(_rows(report, language)),
            footer=(f"Auberge {settings.AUBERGE_VERSION}",)
            if getattr(settings, "AUBERGE_VERSION", "")
            else (),
            language=language,
        )


def z_report_pdf(*, report: ZReport, language: str) -> bytes:
    """The report as a PDF (WeasyPrint, as the invoices)."""
    from weasyprint import HTML

    document = z_report_document(report=report, language=language)
    with translation.override(language):
        html = render_to_string(
            "pos/pdf/z_report.html", {"doc": document, "LANGUAGE_CODE": language}
        )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
