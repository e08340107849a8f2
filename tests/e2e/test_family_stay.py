"""Story S1, the family stay, played through the REST API as the channels would.

A family books online with the breakfast promotion (priced by the same quote the front desk
gets); the front desk checks them in; a waiter charges their aperitif to the room from the bar
terminal; the spa desk sells them a treatment linked to the stay; the shop sells the last
gourmet basket; spa slot and basket are gone from online availability at once; at check-out
the folio shows every line with VAT per rate, and the fiscal journal verifies."""

from datetime import timedelta
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from billing.services.journal import journal_verify
from core.models import Role
from inventory.models import CapacityPool
from tests.factories.pos import make_terminal

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}", HTTP_ACCEPT_LANGUAGE="en"
    )
    return client


@pytest.fixture
def stage(hotel, catalog, staff_of):
    from pms.demo import room_types_seed

    room_types_seed(hotel)
    # the last 15:00 spa slot and the last basket are what the shop and spa sell on site
    CapacityPool.objects.filter(property=hotel, code="spa-cabines").update(default_capacity=1)
    CapacityPool.objects.filter(property=hotel, code="paniers-gourmands").update(
        default_capacity=1, online_close_at_sold=None
    )
    return {
        "desk": api_for(staff_of(hotel, Role.FRONT_DESK, username="claire")),
        "waiter": api_for(staff_of(hotel, Role.WAITER, username="hugo")),
        "spa": api_for(staff_of(hotel, Role.CASHIER, username="nora")),
        "bar": make_terminal(hotel, outlet_code="bar-piscine", outlet_name="Bar de la Piscine"),
        "spa_desk": make_terminal(hotel, outlet_code="spa", outlet_name="Spa", name="Accueil"),
        "shop": make_terminal(hotel, outlet_code="boutique", outlet_name="Boutique"),
        "base": f"/api/v1/properties/{hotel.slug}/",
    }


def test_the_family_stay(hotel, stage):
    desk, waiter, spa, base = stage["desk"], stage["waiter"], stage["spa"], stage["base"]
    today = hotel.business_date()
    arrival, departure, tomorrow = today, today + timedelta(days=2), today + timedelta(days=1)

    # 1. the quote the front desk sees for the online channel…
    quote = desk.post(
        base + "quote",
        {
            "channel": "booking_engine",
            "lines": [
                {"product": "nuit-superieure", "start": str(arrival), "end": str(departure)},
                {"product": "petit-dejeuner", "quantity": "6", "start": str(tomorrow)},
            ],
        },
        format="json",
    )
    assert quote.status_code == 200, quote.json()
    quoted = quote.json()
    assert "promo:petit-dej-web" in quoted["lines"][1]["applied_rule"]
    assert quoted["lines"][1]["total"] == "48.00"  # 6 × 16.00 at −50 %

    # 2. …is the price of the online booking
    booking = desk.post(
        base + "reservations",
        {
            "channel": "booking_engine",
            "guest": {
                "first_name": "Camille",
                "last_name": "Lefèvre",
                "email": "camille.lefevre@example.fr",
                "phone": "+33 6 12 34 56 78",
            },
            "arrival": str(arrival),
            "departure": str(departure),
            "rooms": [{"room_type": "superieure", "adults": 2, "children": 1}],
            "extras": [{"product": "petit-dejeuner", "quantity": 6, "day": str(tomorrow)}],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="family-booking-1",
    )
    assert booking.status_code == 201, booking.json()
    reservation = booking.json()
    assert reservation["total"] == quoted["total"]
    assert reservation["rooms"][0]["price_total"] == quoted["lines"][0]["total"]
    reference = reservation["reference"]

    # 3. check-in into room 201
    checked_in = desk.post(
        base + f"reservations/{reference}/check-in",
        {"rooms": [{"reservation_room": reservation["rooms"][0]["id"], "room": "201"}]},
        format="json",
    )
    assert checked_in.status_code == 200, checked_in.json()
    assert checked_in.json()["status"] == "in_house"

    # 4. the aperitif on the terrace, charged to the room from the bar terminal
    aperitif = waiter.post(
        base + "pos/orders",
        {
            "terminal": str(stage["bar"].public_id),
            "lines": [{"product": "spritz", "quantity": "2"}, {"product": "jus-orange"}],
            "room_number": "201",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="bar-201-1",
    )
    assert aperitif.status_code == 201, aperitif.json()
    assert aperitif.json()["status"] == "charged_to_room"
    assert aperitif.json()["total"] == "27.50"

    # 5. a spa treatment at the spa desk, paid by card, linked to the stay
    massage_line = {"product": "massage-60", "day": str(tomorrow), "slot_time": "15:00"}
    price = desk.post(
        base + "quote",
        {
            "channel": "pos",
            "lines": [{"product": "massage-60", "start": str(tomorrow), "slot_time": "15:00"}],
        },
        format="json",
    ).json()["total"]
    treatment = spa.post(
        base + "pos/orders",
        {
            "terminal": str(stage["spa_desk"].public_id),
            "lines": [massage_line],
            "tenders": [{"method": "card", "amount": price, "terminal_reference": "TPE-4471"}],
            "reservation": reference,
        },
        format="json",
    )
    assert treatment.status_code == 201, treatment.json()
    assert treatment.json()["reservation"] == reference

    # 6. the last gourmet basket at the shop, paid cash
    basket = spa.post(
        base + "pos/orders",
        {
            "terminal": str(stage["shop"].public_id),
            "lines": [{"product": "panier-gourmand"}],
            "tenders": [{"method": "cash", "amount": "40.50", "tendered": "50.00"}],
        },
        format="json",
    )
    assert basket.status_code == 201, basket.json()
    assert basket.json()["change"] == "9.50"

    # 7. both are gone from online availability at once
    online = desk.get(
        base + "products/availability",
        {
            "products": "massage-60,panier-gourmand",
            "start": str(tomorrow),
            "channel": "booking_engine",
        },
    ).json()["products"]
    assert online[0]["available"]["15:00"] == [0]
    assert online[1]["available"] == {"day": [0]}
    too_late = spa.post(
        base + "pos/orders",
        {
            "terminal": str(stage["shop"].public_id),
            "lines": [{"product": "panier-gourmand"}],
            "tenders": [{"method": "cash", "amount": "40.50"}],
        },
        format="json",
    )
    assert too_late.status_code == 409
    assert too_late.json()["code"] == "sold_out"

    # 8. check-out: refused while a balance is due, then paid by card with it; the folio
    # shows every line, VAT per rate adds up
    due = desk.post(base + f"reservations/{reference}/check-out", format="json")
    assert due.status_code == 422 and due.json()["code"] == "balance_due"
    out = desk.post(
        base + f"reservations/{reference}/check-out",
        {"payment": {"method": "card", "terminal_reference": "TPE-8"}},
        format="json",
    )
    assert out.status_code == 200, out.json()
    folio = desk.get(base + f"folios/{reservation['folio']['public_id']}").json()
    descriptions = [line["description"] for line in folio["lines"]]
    assert sorted(descriptions) == sorted(
        [  # a folio line is worded in the property's language (French), once for all
            "Chambre Supérieure, nuit du " + f"{today:%d/%m/%Y}",
            "Chambre Supérieure, nuit du " + f"{tomorrow:%d/%m/%Y}",
            "Breakfast buffet",
            "Spritz",
            "Fresh orange juice",
        ]
    )
    assert not any("Massage" in d for d in descriptions)  # paid at the spa desk
    by_rate: dict[str, Decimal] = {}
    for line in folio["lines"]:
        by_rate[line["vat_rate"]] = by_rate.get(line["vat_rate"], Decimal(0)) + Decimal(
            line["vat_amount"]
        )
    assert {row["rate"]: Decimal(row["vat"]) for row in folio["vat"]} == by_rate
    assert set(by_rate) == {"20.00", "10.00"}
    charges = sum(Decimal(line["total"]) for line in folio["lines"])
    assert Decimal(folio["charges"]) == charges
    assert charges == Decimal(reservation["total"]) + Decimal("27.50")

    # 9. the fiscal journal of the day verifies
    assert journal_verify(property=hotel, chain="fiscal").ok
