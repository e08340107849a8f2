from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from devices.documents import (
    FiscalMentions,
    KitchenItem,
    KitchenTicketDocument,
    ReceiptDocument,
    ReceiptHeader,
    ReceiptLine,
    ReceiptPayment,
    VatBreakdownLine,
)
from devices.models import CashDrawer, Printer
from tests.factories.core import PropertyFactory

PARIS = ZoneInfo("Europe/Paris")


class PrinterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Printer

    property = factory.SubFactory(PropertyFactory)
    code = factory.Sequence(lambda n: f"printer-{n}")
    name = factory.Sequence(lambda n: f"Imprimante {n}")
    connection = Printer.Connection.NETWORK
    host = "127.0.0.1"
    port = 9100
    paper_width = Printer.PaperWidth.MM_80
    code_page = Printer.CodePage.CP858


class CashDrawerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CashDrawer

    printer = factory.SubFactory(PrinterFactory)
    property = factory.SelfAttribute("printer.property")
    name = factory.Sequence(lambda n: f"Tiroir {n}")


def make_receipt(**overrides) -> ReceiptDocument:
    """A bar receipt with two VAT rates, a modifier, a discount and a cash payment."""
    data = dict(
        header=ReceiptHeader(
            legal_name="Les Pins SAS",
            trade_name="Hôtel Les Pins",
            address_lines=("12 avenue des Pins", "83990 Saint-Tropez"),
            siret="85234567800014",
            vat_number="FR32852345678",
        ),
        issued_at=datetime(2026, 3, 14, 21, 37, tzinfo=PARIS),
        terminal="Bar 1",
        cashier="Léa",
        ticket_number="T-000123",
        table="12",
        lines=(
            ReceiptLine(
                description="Crème brûlée",
                quantity=Decimal("2"),
                unit_price=Decimal("8.50"),
                total=Decimal("15.30"),
                modifiers=("Chantilly",),
                discount=Decimal("1.70"),
                discount_label="Remise 10%",
            ),
            ReceiptLine(
                description="Café",
                quantity=Decimal("1"),
                unit_price=Decimal("2.50"),
                total=Decimal("2.50"),
            ),
            ReceiptLine(
                description="Bière pression",
                quantity=Decimal("1"),
                unit_price=Decimal("6.00"),
                total=Decimal("6.00"),
            ),
        ),
        vat_breakdown=(
            VatBreakdownLine(
                rate=Decimal("10.0"),
                net=Decimal("16.18"),
                vat=Decimal("1.62"),
                gross=Decimal("17.80"),
            ),
            VatBreakdownLine(
                rate=Decimal("20.0"),
                net=Decimal("5.00"),
                vat=Decimal("1.00"),
                gross=Decimal("6.00"),
            ),
        ),
        total_net=Decimal("21.18"),
        total_vat=Decimal("2.62"),
        total_gross=Decimal("23.80"),
        total_discount=Decimal("1.70"),
        payments=(ReceiptPayment(label="Espèces", amount=Decimal("30.00")),),
        change=Decimal("6.20"),
        fiscal=FiscalMentions(
            document_number="BAR1-2026-000123", hash_excerpt="9f2c41ab", software="Auberge 0.1"
        ),
        qr_payload="https://auberge.example/r/T-000123",
        footer=("Merci de votre visite !",),
        language="en",
    )
    data.update(overrides)
    return ReceiptDocument(**data)


def make_kitchen_ticket(**overrides) -> KitchenTicketDocument:
    data = dict(
        station="Cuisine",
        table="12",
        covers=4,
        waiter="Hugo",
        course="Desserts",
        order_reference="C-42",
        sent_at=datetime(2026, 3, 14, 21, 5, tzinfo=PARIS),
        items=(
            KitchenItem(name="Crème brûlée", quantity=Decimal("2"), modifiers=("sans sucre",)),
            KitchenItem(name="Café gourmand", quantity=Decimal("1"), note="allergie noix"),
        ),
        language="en",
    )
    data.update(overrides)
    return KitchenTicketDocument(**data)
