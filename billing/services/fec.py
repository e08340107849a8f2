"""The accounting files, streamed with constant memory: the FEC (fichier des écritures
comptables) of the daily entries of billing.services.accounting, the CSV of every document
line, and the daily export of both written to a folder (exports_write, recorded in the JET).

FEC: tab-separated, one row per entry line, EcritureNum one continuous sequence over the file,
amounts with a decimal comma, named <SIREN>FEC<YYYYMMDD>.txt (the period's last day). Text
in both files is neutralised against formula injection (CSV injection).
"""

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from billing.models import FolioLine, Invoice, InvoiceLine, JournalEntry, Payment, TicketLine
from billing.services.accounting import RECEIPTED_SOURCE_PREFIX, ChartOfAccounts, daily_entries
from core.models import Property

FEC_COLUMNS = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
]
CSV_COLUMNS = [
    "date",
    "business_date",
    "document",
    "customer",
    "description",
    "outlet",
    "terminal",
    "cashier",
    "account",
    "revenue_category",
    "vat_rate",
    "net",
    "vat",
    "gross",
    "payment_method",
]


def neutralise(value) -> str:
    """Text for a spreadsheet cell: a value starting with = + - @ (or a tab / CR) is prefixed
    with a quote so that no spreadsheet runs it as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def _fec_amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _fec_text(value: str) -> str:
    return neutralise(" ".join(str(value).replace("|", " ").split()))


def fec_rows(*, property: Property, start: date, end: date) -> Iterator[list[str]]:
    """The FEC of [start, end): header, then one row per entry line; EcritureNum is one
    continuous sequence over the file. One day in memory at a time."""
    yield list(FEC_COLUMNS)
    chart = ChartOfAccounts(property)
    number = 0
    for day in _days(start, end):
        for entry in daily_entries(property=property, day=day, chart=chart):
            number += 1
            for line in entry.lines:
                yield [
                    entry.journal,
                    _fec_text(entry.journal_label),
                    f"{entry.journal}{number:06d}",
                    f"{entry.day:%Y%m%d}",
                    line.account,
                    _fec_text(line.account_label),
                    line.aux,
                    _fec_text(line.aux_label),
                    _fec_text(entry.piece) or "-",
                    f"{entry.day:%Y%m%d}",
                    _fec_text(line.label) or "/",
                    _fec_amount(line.debit),
                    _fec_amount(line.credit),
                    "",
                    "",
                    f"{entry.day:%Y%m%d}",
                    "",
                    "",
                ]


def fec_filename(*, property: Property, end: date) -> str:
    """<SIREN>FEC<YYYYMMDD>.txt, the date being the last day of the period."""
    siren = (property.siret or "")[:9] or "000000000"
    return f"{siren}FEC{end - timedelta(days=1):%Y%m%d}.txt"


def csv_filename(*, property: Property, start: date, end: date) -> str:
    return f"{property.slug}-lignes-{start:%Y%m%d}-{end - timedelta(days=1):%Y%m%d}.csv"


def csv_rows(*, property: Property, start: date, end: date) -> Iterator[list[str]]:
    """One row per document line of [start, end): ticket lines, folio lines (except POS
    charge-to-room copies), credit-note lines, voids and payments. Text is neutralised
    against formula injection; amounts are plain decimals (dot)."""
    yield list(CSV_COLUMNS)
    chart = ChartOfAccounts(property)

    revenue_accounts: dict[str, str] = {}

    def line_row(when, day, document, customer, outlet, terminal, cashier, line, sign=1):
        # line = (description, revenue_category, vat_rate, net, vat_amount, total)
        description, category, rate, net, vat_amount, total = line
        account = revenue_accounts.get(category)
        if account is None:
            account = revenue_accounts[category] = chart.revenue(category)[0]
        return [
            f"{when:%Y-%m-%d %H:%M:%S}" if when else "",
            f"{day:%Y-%m-%d}",
            neutralise(document),
            neutralise(customer),
            neutralise(description),
            neutralise(outlet),
            neutralise(terminal),
            neutralise(cashier),
            account,
            category,
            f"{rate:.2f}",
            f"{sign * net:.2f}",
            f"{sign * vat_amount:.2f}",
            f"{sign * total:.2f}",
            "",
        ]

    # Plain tuples, not model instances: a year of a busy hotel is over a million lines and
    # building an object per line made the export several times slower.
    line_fields = ("description", "revenue_category", "vat_rate", "net", "vat_amount", "total")
    tickets = (
        TicketLine.objects.filter(
            ticket__property=property,
            ticket__business_date__gte=start,
            ticket__business_date__lt=end,
        )
        .order_by("ticket__business_date", "ticket__number", "pk")
        .values_list(
            "ticket__created_at",
            "ticket__business_date",
            "ticket__number",
            "ticket__outlet",
            "ticket__terminal",
            "ticket__cashier__username",
            *line_fields,
        )
    )
    for when, day, number, outlet, terminal, cashier, *line in tickets.iterator(chunk_size=5000):
        yield line_row(when, day, f"T{number:06d}", "", outlet, terminal, cashier, line)
    voids = JournalEntry.objects.filter(
        property=property,
        chain=JournalEntry.Chain.FISCAL,
        kind=JournalEntry.Kind.VOID,
        document_type="billing.ticket",
        business_date__gte=start,
        business_date__lt=end,
    ).order_by("sequence")
    for void in voids.iterator():
        void_lines = (
            TicketLine.objects.filter(ticket_id=int(void.document_id))
            .order_by("pk")
            .values_list("ticket__number", "ticket__outlet", *line_fields)
        )
        for number, outlet, *line in void_lines:
            yield line_row(
                void.created_at,
                void.business_date,
                f"VOID T{number:06d}",
                "",
                outlet,
                void.terminal,
                void.actor,
                line,
                -1,
            )
    folio_lines = (
        FolioLine.objects.filter(
            folio__property=property, business_date__gte=start, business_date__lt=end
        )
        .exclude(source__startswith=RECEIPTED_SOURCE_PREFIX)
        .order_by("business_date", "pk")
        .values_list(
            "created_at",
            "business_date",
            "folio_id",
            "folio__holder_name",
            "terminal",
            "created_by__username",
            *line_fields,
        )
    )
    for when, day, folio_id, holder, terminal, cashier, *line in folio_lines.iterator(
        chunk_size=5000
    ):
        yield line_row(when, day, f"FOLIO-{folio_id}", holder, "PMS", terminal, cashier or "", line)
    credit_lines = (
        InvoiceLine.objects.filter(
            invoice__property=property,
            invoice__kind=Invoice.Kind.CREDIT_NOTE,
            invoice__business_date__gte=start,
            invoice__business_date__lt=end,
        )
        .order_by("invoice__business_date", "invoice__sequence", "pk")
        .values_list(
            "invoice__created_at",
            "invoice__business_date",
            "invoice__number",
            "invoice__buyer",
            "invoice__issued_by__username",
            *line_fields,
        )
    )
    for when, day, number, buyer, cashier, *line in credit_lines.iterator(chunk_size=5000):
        name = buyer.get("name", "") if isinstance(buyer, dict) else ""
        yield line_row(when, day, number, name, "PMS", "", cashier or "", line)
    payments = (
        Payment.objects.filter(property=property, business_date__gte=start, business_date__lt=end)
        .select_related("ticket", "folio", "created_by")
        .order_by("business_date", "pk")
    )
    for p in payments.iterator(chunk_size=2000):
        document = str(p.ticket) if p.ticket_id else f"FOLIO-{p.folio_id}"
        yield [
            f"{p.created_at:%Y-%m-%d %H:%M:%S}",
            f"{p.business_date:%Y-%m-%d}",
            neutralise(document),
            neutralise(p.folio.holder_name if p.folio_id else ""),
            str(p.get_method_display()),
            neutralise(p.ticket.outlet if p.ticket_id else "PMS"),
            neutralise(p.terminal),
            neutralise(p.created_by.get_username() if p.created_by else ""),
            chart.get(f"payment:{p.method}")[0],
            "",
            "",
            "",
            "",
            f"{p.amount:.2f}",
            p.method,
        ]


class _Echo:
    def write(self, value):
        return value


def stream_lines(
    rows: Iterator[list[str]], *, delimiter: str, lineterminator: str = "\r\n"
) -> Iterator[str]:
    """Rows as delimited text lines, one at a time (for StreamingHttpResponse or a file)."""
    writer = csv.writer(_Echo(), delimiter=delimiter, lineterminator=lineterminator)
    for row in rows:
        yield writer.writerow(row)


def exports_write(*, property: Property, day: date, directory, actor=None) -> list:
    """Write the FEC and the CSV of one business day into `directory` (files replaced
    atomically) and record the export in the JET. Returns the paths written."""
    from pathlib import Path

    from billing.services.journal import JET_ARCHIVE, jet_event

    directory = Path(directory) / property.slug
    directory.mkdir(parents=True, exist_ok=True)
    end = day + timedelta(days=1)
    written = []
    for name, rows, delimiter in (
        (
            fec_filename(property=property, end=end),
            fec_rows(property=property, start=day, end=end),
            "\t",
        ),
        (
            csv_filename(property=property, start=day, end=end),
            csv_rows(property=property, start=day, end=end),
            ";",
        ),
    ):
        target = directory / name
        partial = target.with_suffix(target.suffix + ".part")
        with partial.open("w", encoding="utf-8", newline="") as handle:
            for text in stream_lines(rows, delimiter=delimiter):
                handle.write(text)
        partial.replace(target)
        written.append(target)
    jet_event(
        property=property,
        code=JET_ARCHIVE,
        actor=actor,
        payload={"export": [p.name for p in written], "business_date": day},
    )
    return written
