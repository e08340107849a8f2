"""Neutral documents the printers know: devices never sees an order, only these snapshots.

The POS (or any caller) builds a `ReceiptDocument` or a `KitchenTicketDocument` from its own
rows and hands it to `devices.services.print_job_enqueue`; the print job stores the document as
JSON (`to_json`) and the worker rebuilds it (`from_json`) to render the paper. Money is always
`Decimal` in Python and a string in JSON; datetimes are aware and printed in the offset they
carry (pass the property's local time).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

T = TypeVar("T", bound="Document")


class DocumentError(ValueError):
    """A JSON snapshot that does not describe a valid document."""


def _to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_to_jsonable(item) for item in value]
    return value


def _from_jsonable(annotation: Any, value: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None:
            return None
        return _from_jsonable(args[0], value)
    if origin is tuple:
        (item_type, _ellipsis) = typing.get_args(annotation)
        return tuple(_from_jsonable(item_type, item) for item in value)
    if annotation is Decimal:
        return Decimal(str(value))
    if annotation is datetime:
        return datetime.fromisoformat(value)
    if dataclasses.is_dataclass(annotation):
        return _build(annotation, value)
    return value


def _build(cls: type, data: dict) -> Any:
    if not isinstance(data, dict):
        raise DocumentError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _from_jsonable(hints[f.name], data[f.name])
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise DocumentError(f"{cls.__name__}: {exc}") from exc


class Document:
    """Base of the printable documents: JSON round trip."""

    kind: ClassVar[str] = ""

    def to_json(self) -> dict:
        return _to_jsonable(self)

    @classmethod
    def from_json(cls: type[T], data: dict) -> T:
        return _build(cls, data)


# --- Receipt --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptHeader:
    """Who sells: the property's legal identity (mandatory on a French receipt)."""

    legal_name: str
    trade_name: str = ""
    address_lines: tuple[str, ...] = ()
    siret: str = ""
    vat_number: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    modifiers: tuple[str, ...] = ()
    discount: Decimal | None = None
    """Amount taken off this line (positive number), already included in `total`."""
    discount_label: str = ""


@dataclass(frozen=True)
class VatBreakdownLine:
    rate: Decimal
    """Percent, e.g. Decimal("10.00")."""
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class ReceiptPayment:
    label: str
    """Method as the customer should read it, e.g. "Espèces", "Carte bancaire"."""
    amount: Decimal


@dataclass(frozen=True)
class FiscalMentions:
    document_number: str
    hash_excerpt: str = ""
    reprint_count: int = 0
    """0 on the original; 1 on the first reprint, and so on (printed "DUPLICATA n° N")."""
    software: str = ""
    extra_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReceiptDocument(Document):
    kind: ClassVar[str] = "receipt"

    header: ReceiptHeader
    issued_at: datetime
    terminal: str
    cashier: str
    ticket_number: str
    lines: tuple[ReceiptLine, ...]
    vat_breakdown: tuple[VatBreakdownLine, ...]
    total_net: Decimal
    total_vat: Decimal
    total_gross: Decimal
    payments: tuple[ReceiptPayment, ...] = ()
    change: Decimal = Decimal("0.00")
    tip: Decimal = Decimal("0.00")
    total_discount: Decimal = Decimal("0.00")
    fiscal: FiscalMentions | None = None
    qr_payload: str = ""
    footer: tuple[str, ...] = ()
    # the codes of the gift cards the sale issued, each printed as a QR under the footer
    # (a till scans it like the typed code)
    gift_card_qrs: tuple[str, ...] = ()
    table: str = ""
    currency: str = "EUR"
    language: str = "fr"

    @property
    def reprint_count(self) -> int:
        return self.fiscal.reprint_count if self.fiscal else 0

    @property
    def is_duplicate(self) -> bool:
        return self.reprint_count > 0

    def as_duplicate(self, *, reprint_count: int) -> ReceiptDocument:
        """The same receipt marked DUPLICATA with its reprint number (NF525)."""
        if reprint_count < 1:
            raise ValueError("a duplicate has a reprint count of at least 1")
        fiscal = self.fiscal or FiscalMentions(document_number=self.ticket_number)
        return dataclasses.replace(
            self, fiscal=dataclasses.replace(fiscal, reprint_count=reprint_count)
        )


# --- Kitchen ticket -------------------------------------------------------------------


@dataclass(frozen=True)
class KitchenItem:
    name: str
    quantity: Decimal = Decimal("1")
    modifiers: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class KitchenTicketDocument(Document):
    kind: ClassVar[str] = "kitchen"

    station: str
    table: str
    items: tuple[KitchenItem, ...]
    sent_at: datetime
    covers: int | None = None
    waiter: str = ""
    course: str = ""
    order_reference: str = ""
    language: str = "fr"
    # a guest's own order has no table: its room or kiosk ticket heads it instead
    place: str = ""


# --- Test page ------------------------------------------------------------------------


@dataclass(frozen=True)
class TestPageDocument(Document):
    """What a "test page" prints: the printer's own settings and an accents sample."""

    kind: ClassVar[str] = "test"
    __test__: ClassVar[bool] = False  # not a pytest class

    printer_name: str
    connection: str
    paper_width_mm: int
    code_page: str
    requested_at: datetime
    requested_by: str = ""
    language: str = "fr"
    sample: str = field(default="Crème brûlée, Café, Œuf, à, ç, ù, €")


# --- Report (X / Z report of a till) ------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    label: str
    value: str = ""
    """Already written for a person (core.formatting), in the report's language."""


@dataclass(frozen=True)
class ReportSection:
    title: str
    rows: tuple[ReportRow, ...] = ()


@dataclass(frozen=True)
class ReportDocument(Document):
    """A printed report (a till's Z report): a title, header lines, titled sections of
    label/value rows. The caller writes every value; devices only lays them out."""

    kind: ClassVar[str] = "report"

    title: str
    printed_at: datetime
    header_lines: tuple[str, ...] = ()
    sections: tuple[ReportSection, ...] = ()
    footer: tuple[str, ...] = ()
    language: str = "fr"


DOCUMENT_CLASSES: dict[str, type[Document]] = {
    cls.kind: cls
    for cls in (ReceiptDocument, KitchenTicketDocument, TestPageDocument, ReportDocument)
}


def document_from_json(kind: str, data: dict | None) -> Document | None:
    """Rebuild the document a print job stored; a drawer job has none."""
    if kind not in DOCUMENT_CLASSES:
        return None
    return DOCUMENT_CLASSES[kind].from_json(data or {})
