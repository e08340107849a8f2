"""From a neutral document to paper: one layout, two outputs.

`layout_*` turns a document into a list of layout elements already cut to the paper width
(32 or 48 characters). `render_text` prints that layout as plain text (e-mailed receipts,
on-screen preview) and `render_escpos` as ESC/POS bytes through python-escpos' `Dummy`
printer, so both show exactly the same lines. Double-size lines are laid out on half the
columns because each character takes two.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from escpos.printer import Dummy

from core import formatting
from devices.documents import (
    Document,
    KitchenTicketDocument,
    ReceiptDocument,
    ReportDocument,
    TestPageDocument,
)

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}
# "DUPLICATA" is the legal mention on a French reprint (NF525): it is not translated.
DUPLICATA = "DUPLICATA"


@dataclass(frozen=True)
class Text:
    text: str
    bold: bool = False
    double: bool = False
    """Double width and double height ("large type")."""
    tall: bool = False
    """Double height only: the line keeps its full width."""


@dataclass(frozen=True)
class Qr:
    payload: str


@dataclass(frozen=True)
class PrintSettings:
    """What the renderer needs to know of a printer."""

    columns: int = 48
    code_page: str = "CP858"
    profile: str = "default"
    drawer_pin: int = 2


Element = Text | Qr


# --- formatting helpers ---------------------------------------------------------------


def _printable(text: str) -> str:
    # no-break spaces (French grouping, before the sign) survive few code pages: plain space
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def format_money(amount: Decimal, language: str) -> str:
    """An amount without its sign, as core.formatting writes it: 1 234,50 / 1,234.50."""
    return _printable(formatting.number(amount, 2, language=language))


def format_amount(amount: Decimal, currency: str, language: str) -> str:
    """An amount with its currency sign (the total): 23,80 € / €23.80."""
    return _printable(formatting.money(amount, currency, language=language))


def format_quantity(quantity: Decimal, language: str) -> str:
    text = f"{quantity.normalize():f}"
    return text.replace(".", ",") if language.startswith("fr") else text


def format_rate(rate: Decimal, language: str) -> str:
    return format_quantity(rate, language) + "%"


def format_datetime(moment: datetime, language: str) -> str:
    if language.startswith("fr"):
        return moment.strftime("%d/%m/%Y %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent) or [
        indent.rstrip()
    ]


def _left_right(left: str, right: str, width: int) -> list[str]:
    """`left` wrapped on the left, `right` aligned right on the last line."""
    room = width - len(right) - 1
    lines = _wrap(left, max(room, 1))
    last = lines[-1]
    lines[-1] = last + " " * (width - len(last) - len(right)) + right
    return lines


def _center(text: str, width: int) -> list[str]:
    return [line.center(width).rstrip() for line in _wrap(text, width)]


def _rule(width: int, char: str = "-") -> Text:
    return Text(char * width)


# --- layouts --------------------------------------------------------------------------


def layout_receipt(doc: ReceiptDocument, columns: int) -> list[Element]:
    lang = doc.language
    half = columns // 2
    money = lambda amount: format_money(amount, lang)  # noqa: E731
    out: list[Element] = []

    if doc.is_duplicate:
        out += [Text(line, bold=True, double=True) for line in _center(DUPLICATA, half)]
    header = doc.header
    for line in _center(header.trade_name or header.legal_name, half):
        out.append(Text(line, bold=True, double=True))
    if header.trade_name and header.trade_name != header.legal_name:
        out += [Text(line) for line in _center(header.legal_name, columns)]
    for address_line in header.address_lines:
        out += [Text(line) for line in _center(address_line, columns)]
    if header.phone:
        out += [Text(line) for line in _center(header.phone, columns)]
    if header.siret:
        out += [
            Text(line) for line in _center(_("SIRET %(siret)s") % {"siret": header.siret}, columns)
        ]
    if header.vat_number:
        vat_number = _("VAT no. %(number)s") % {"number": header.vat_number}
        out += [Text(line) for line in _center(vat_number, columns)]
    out.append(_rule(columns))

    out += [
        Text(line)
        for line in _wrap(_("Ticket %(number)s") % {"number": doc.ticket_number}, columns)
    ]
    out.append(Text(format_datetime(doc.issued_at, lang)))
    out += [Text(line) for line in _wrap(_("Terminal: %(name)s") % {"name": doc.terminal}, columns)]
    out += [Text(line) for line in _wrap(_("Cashier: %(name)s") % {"name": doc.cashier}, columns)]
    if doc.table:
        out += [Text(line) for line in _wrap(_("Table: %(table)s") % {"table": doc.table}, columns)]
    out.append(_rule(columns))

    for item in doc.lines:
        out += [Text(line) for line in _left_right(item.description, money(item.total), columns)]
        if item.quantity != 1:
            detail = f"{format_quantity(item.quantity, lang)} x {money(item.unit_price)}"
            out += [Text(line) for line in _wrap(detail, columns, indent="  ")]
        for modifier in item.modifiers:
            out += [Text(line) for line in _wrap(f"+ {modifier}", columns, indent="  ")]
        if item.discount:
            label = "  " + (item.discount_label or _("Discount"))
            out += [Text(line) for line in _left_right(label, money(-item.discount), columns)]
    out.append(_rule(columns))

    if doc.total_discount:
        out += [
            Text(line)
            for line in _left_right(_("Total discounts"), money(-doc.total_discount), columns)
        ]
    out += [Text(line) for line in _left_right(_("Total excl. VAT"), money(doc.total_net), columns)]
    out += [Text(line) for line in _left_right(_("VAT"), money(doc.total_vat), columns)]
    total = format_amount(doc.total_gross, doc.currency, lang)
    out += [Text(line, bold=True, double=True) for line in _left_right(_("TOTAL"), total, half)]
    out.append(_rule(columns))

    if doc.vat_breakdown:
        col = columns // 4
        heads = [_("Rate"), _("Net"), _("VAT"), _("Gross")]
        out.append(Text("".join(h.rjust(col) for h in heads), bold=True))
        for vat_line in doc.vat_breakdown:
            cells = [
                format_rate(vat_line.rate, lang),
                money(vat_line.net),
                money(vat_line.vat),
                money(vat_line.gross),
            ]
            out.append(Text("".join(cell.rjust(col) for cell in cells)))
        out.append(_rule(columns))

    for payment in doc.payments:
        out += [Text(line) for line in _left_right(payment.label, money(payment.amount), columns)]
    if doc.change:
        out += [
            Text(line)
            for line in _left_right(
                pgettext("money given back", "Change"), money(doc.change), columns
            )
        ]
    if doc.tip:
        out += [Text(line) for line in _left_right(_("Tip"), money(doc.tip), columns)]
    if doc.payments or doc.change or doc.tip:
        out.append(_rule(columns))

    if doc.fiscal:
        fiscal = doc.fiscal
        out += [
            Text(line)
            for line in _wrap(
                _("Document no. %(number)s") % {"number": fiscal.document_number}, columns
            )
        ]
        if fiscal.hash_excerpt:
            out += [
                Text(line)
                for line in _wrap(_("Signature: %(hash)s") % {"hash": fiscal.hash_excerpt}, columns)
            ]
        if fiscal.software:
            out += [Text(line) for line in _wrap(fiscal.software, columns)]
        for extra in fiscal.extra_lines:
            out += [Text(line) for line in _wrap(extra, columns)]
        if fiscal.reprint_count:
            mention = f"{DUPLICATA} " + _("reprint no. %(count)s") % {"count": fiscal.reprint_count}
            out += [Text(line, bold=True) for line in _center(mention, columns)]
    if doc.qr_payload:
        out.append(Qr(doc.qr_payload))
    for footer_line in doc.footer:
        out += [Text(line) for line in _center(footer_line, columns)]
    for code in doc.gift_card_qrs:
        out.append(Qr(code))
    return out


def layout_kitchen_ticket(doc: KitchenTicketDocument, columns: int) -> list[Element]:
    lang = doc.language
    half = columns // 2
    out: list[Element] = []
    out += [Text(line, bold=True, double=True) for line in _center(doc.station.upper(), half)]
    table = doc.place or _("Table %(table)s") % {"table": doc.table}
    if doc.covers:
        covers = _("%(count)s covers") % {"count": doc.covers}
        out += [Text(line, bold=True, tall=True) for line in _left_right(table, covers, columns)]
    else:
        out += [Text(line, bold=True, tall=True) for line in _wrap(table, columns)]
    if doc.waiter:
        out += [Text(line) for line in _wrap(_("Waiter: %(name)s") % {"name": doc.waiter}, columns)]
    sent = _("Sent %(time)s") % {"time": format_datetime(doc.sent_at, lang)}
    if doc.order_reference:
        out += [Text(line) for line in _left_right(sent, doc.order_reference, columns)]
    else:
        out.append(Text(sent))
    out.append(_rule(columns, "="))
    if doc.course:
        out += [Text(line, bold=True) for line in _center(f"-- {doc.course.upper()} --", columns)]
    for item in doc.items:
        name = f"{format_quantity(item.quantity, lang)} x {item.name}"
        out += [Text(line, bold=True, double=True) for line in _wrap(name, half)]
        for modifier in item.modifiers:
            out += [Text(line, tall=True) for line in _wrap(f"+ {modifier}", columns, indent="   ")]
        if item.note:
            note = _("NOTE: %(note)s") % {"note": item.note}
            out += [Text(line, bold=True, tall=True) for line in _wrap(note, columns, indent="   ")]
    out.append(_rule(columns, "="))
    return out


def layout_test_page(doc: TestPageDocument, columns: int) -> list[Element]:
    out: list[Element] = []
    out += [Text(line, bold=True, double=True) for line in _center(_("TEST PAGE"), columns // 2)]
    out += [Text(line) for line in _wrap(doc.printer_name, columns)]
    out += [Text(line) for line in _wrap(_("Connection: %(c)s") % {"c": doc.connection}, columns)]
    width = _("Paper: %(mm)s mm, %(cols)s characters") % {"mm": doc.paper_width_mm, "cols": columns}
    out += [Text(line) for line in _wrap(width, columns)]
    out += [Text(line) for line in _wrap(_("Code page: %(cp)s") % {"cp": doc.code_page}, columns)]
    out.append(Text(format_datetime(doc.requested_at, doc.language)))
    if doc.requested_by:
        out += [Text(line) for line in _wrap(doc.requested_by, columns)]
    out.append(_rule(columns))
    out += [Text(line) for line in _wrap(doc.sample, columns)]
    out.append(Text("1234567890" * (columns // 10) + "1234567890"[: columns % 10]))
    out.append(Text(_("Bold"), bold=True))
    out.append(Text(_("Large"), double=True))
    out.append(_rule(columns))
    return out


def layout_report(doc: ReportDocument, columns: int) -> list[Element]:
    out: list[Element] = []
    out += [Text(line, bold=True, double=True) for line in _center(doc.title, columns // 2)]
    for line in doc.header_lines:
        out += [Text(text) for text in _center(_printable(line), columns)]
    out.append(Text(format_datetime(doc.printed_at, doc.language)))
    for section in doc.sections:
        out.append(_rule(columns))
        out += [Text(line, bold=True) for line in _wrap(_printable(section.title), columns)]
        for row in section.rows:
            out += [
                Text(line)
                for line in _left_right(_printable(row.label), _printable(row.value), columns)
            ]
    out.append(_rule(columns, "="))
    for line in doc.footer:
        out += [Text(text) for text in _center(_printable(line), columns)]
    return out


def layout_document(document: Document, columns: int) -> list[Element]:
    language = getattr(document, "language", "fr") or "fr"
    with translation.override(language):
        if isinstance(document, ReceiptDocument):
            return layout_receipt(document, columns)
        if isinstance(document, KitchenTicketDocument):
            return layout_kitchen_ticket(document, columns)
        if isinstance(document, TestPageDocument):
            return layout_test_page(document, columns)
        if isinstance(document, ReportDocument):
            return layout_report(document, columns)
    raise TypeError(f"cannot lay out {type(document).__name__}")


# --- outputs --------------------------------------------------------------------------


def render_text(document: Document, *, columns: int) -> str:
    """The paper as plain text, line for line (a QR code shows as its payload)."""
    lines = []
    for element in layout_document(document, columns):
        if isinstance(element, Qr):
            lines.append("[QR]".center(columns).rstrip())
            payload = element.payload
            lines += [payload[i : i + columns] for i in range(0, len(payload), columns)]
        else:
            lines.append(element.text)
    return "\n".join(lines) + "\n"


def render_escpos(
    document: Document | None, *, settings: PrintSettings, open_drawer: bool = False
) -> bytes:
    """ESC/POS bytes: initialise, code page, the layout, then feed and cut.

    The drawer pulse (ESC p) is sent only when `open_drawer` is true (a cash payment or a
    "no sale"); a drawer-only job (no document) sends nothing but the pulse."""
    printer = Dummy(profile=settings.profile)
    printer.hw("INIT")
    if open_drawer:
        # Kick the drawer first: the cashier counts change while the receipt prints.
        printer.cashdraw(settings.drawer_pin)
    if document is None:
        return printer.output
    printer.charcode(settings.code_page)
    style = (False, False, False)  # bold, double, tall: the state after ESC @
    for element in layout_document(document, settings.columns):
        if isinstance(element, Qr):
            printer.set(align="center")
            printer.qr(element.payload, native=True, size=5)
            printer.set(align="left")
            continue
        wanted = (element.bold, element.double, element.tall)
        if wanted != style:
            # send a style only when it changes: the size command first (it resets bold)
            printer.set(
                double_width=element.double,
                double_height=element.double or element.tall,
                normal_textsize=not (element.double or element.tall),
            )
            printer.set(bold=element.bold)
            style = wanted
        printer.textln(element.text)
    if style != (False, False, False):
        printer.set(normal_textsize=True)
        printer.set(bold=False)
    printer.cut()
    return printer.output
