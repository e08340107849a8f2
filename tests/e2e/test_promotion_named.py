"""A promotion created on the manager's screen is named where it applies: the booking
engine's summary (list price, promotion, price), the confirmation e-mail, the folio, the
counter's basket and receipt, and the invoice — one test following it through."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.template.loader import render_to_string

from billing.services.invoice_documents import invoice_context
from billing.services.invoices import invoice_issue
from billing.services.payments import TenderInput
from core.models import Role
from inventory.models import Product, Promotion
from inventory.services.pricing import QuoteLineInput
from pms.models import Reservation, Room
from pms.services import booking as booking_services
from pms.services.stays import reservation_check_in
from pos.services.checkout import SaleRequest, sale_checkout
from tests.factories.pos import make_terminal

pytestmark = pytest.mark.django_db

NAME = "Spring breakfast −25%"
GUEST = {
    "first_name": "Léa",
    "last_name": "Dupont",
    "email": "lea.dupont@exemple.fr",
    "phone": "0600000000",
    "accept": "on",
}


@pytest.fixture
def stage(hotel, catalog, staff_of):
    from pms.demo import room_types_seed

    types = room_types_seed(hotel)
    return {
        "manager": staff_of(hotel, Role.MANAGER, username="directrice"),
        "clerk": staff_of(hotel, Role.FRONT_DESK, username="claire"),
        "cashier": staff_of(hotel, Role.CASHIER, username="nora"),
        "classique": types["classique"],
        "breakfast": Product.objects.get(property=hotel, code="petit-dejeuner"),
    }


def test_a_promotion_created_on_screen_is_named_everywhere(client, hotel, stage):
    breakfast = stage["breakfast"]
    today = hotel.business_date()

    # the manager creates the offer on screen
    client.force_login(stage["manager"])
    response = client.post(
        "/manage/promotions/",
        {
            "name_fr": "Petit-déjeuner de printemps −25 %",
            "name_en": NAME,
            "code": "printemps",
            "kind": "promotion",
            "percent_off": "25",
            "products": [breakfast.pk],
            "priority": "50",
        },
    )
    assert response.status_code == 302
    Promotion.objects.get(property=hotel, code="printemps")
    client.logout()

    # the booking engine: one night, two breakfasts (2 × 16,00 = 32,00, at −25 %: 24,00)
    base = f"/book/{hotel.slug}/"
    stay = {
        "arrival": today.isoformat(),
        "departure": (today + timedelta(days=1)).isoformat(),
        "adults": 2,
        "children": 0,
        "lang": "en",
        "room_type": stage["classique"].pk,
    }
    response = client.post(f"{base}details/", {**stay, **GUEST, f"extra_{breakfast.pk}": "2"})
    assert response.status_code == 302
    reservation = Reservation.objects.get(property=hotel, channel="booking_engine")
    payment = client.get(response.url).content.decode()
    summary = payment[payment.index('data-testid="booking-summary"') :]
    breakfast_row = summary[summary.index(breakfast.name_en) :]
    breakfast_row = breakfast_row[: breakfast_row.index("</tr>")]
    assert NAME in breakfast_row
    assert "<s>€32.00</s>" in breakfast_row and "−€8.00" in breakfast_row
    assert "€24.00" in breakfast_row
    response = client.post(response.url.split("?")[0], {"provider": "at_property", "lang": "en"})
    assert response.status_code == 302
    assert NAME in client.get(response.url).content.decode()  # the confirmation page

    # the confirmation e-mail lists the line with its promotion
    booking_services.booking_emails_send(
        reservation_id=reservation.pk, language="en", instructions=""
    )
    body = mail.outbox[0].body
    assert f"€32.00 − {NAME} €8.00 = €24.00" in body

    # the folio at the front desk
    reservation.refresh_from_db()
    room = Room.objects.filter(property=hotel, room_type=stage["classique"]).first()
    reservation_check_in(
        reservation=reservation,
        actor=stage["clerk"],
        assignments={reservation.rooms.get().pk: room.pk},
    )
    client.force_login(stage["clerk"])
    client.cookies["django_language"] = "en"
    page = client.get(f"/frontdesk/reservations/{reservation.reference}/").content.decode()
    folio = page[page.index('data-testid="folio-promotion"') :]
    folio = folio[: folio.index("</small>")]
    assert NAME in folio and "<s>€32.00</s>" in folio and "−€8.00" in folio

    # the invoice names it on the line (the PDF's HTML, from the issued snapshot)
    invoice = invoice_issue(folio=reservation.folio, actor=stage["clerk"])
    html = render_to_string("billing/pdf/invoice.html", invoice_context(invoice=invoice))
    assert f"{NAME}: list price €32.00, discount €8.00 incl. VAT" in html

    # the counter: the basket says why breakfast costs less, and so does the receipt
    terminal = make_terminal(hotel, outlet_code="reception", outlet_name="Réception")
    sale = sale_checkout(
        SaleRequest(
            property=hotel,
            terminal=terminal,
            actor=stage["cashier"],
            lines=[QuoteLineInput(product_id=breakfast.pk, quantity=Decimal("1"))],
            tenders=[TenderInput(method="cash", amount=Decimal("12.00"))],
        )
    )
    assert sale.order.ticket.total == Decimal("12.00")
    client.force_login(stage["cashier"])
    client.cookies["django_language"] = "en"
    receipt = client.get(f"/pos/counter/receipt/{sale.order.pk}/").content.decode()
    line = receipt[receipt.index('data-testid="receipt-promotion"') :]
    line = line[: line.index("</small>")]
    assert NAME in line and "<s>€16.00</s>" in line and "−€4.00" in line
