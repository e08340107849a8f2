"""POST pos/orders, refunds and folios through the API: status codes and replays."""

from decimal import Decimal

import pytest

from billing.models import Ticket
from core.models import IdempotencyRecord, Role
from tests.factories.pos import make_terminal
from tests.factories.stays import make_stay
from tests.pos.helpers import snapshot

pytestmark = pytest.mark.django_db
D = Decimal


def url(hotel, path):
    return f"/api/v1/properties/{hotel.slug}/{path}"


def post(client, hotel, path, body, **headers):
    return client.post(url(hotel, path), body, content_type="application/json", **headers)


def cash_sale(till, **extra):
    body = {
        "terminal": str(till.public_id),
        "lines": [{"product": "spritz"}, {"product": "cafe", "quantity": "2"}],
        "tenders": [{"method": "cash", "amount": "16.00", "tendered": "20.00"}],
    }
    body.update(extra)
    return body


def test_cash_sale_returns_201_with_ticket_vat_and_change(
    client, hotel, catalog, terminal, cashier
):
    client.force_login(cashier)
    response = post(client, hotel, "pos/orders", cash_sale(terminal))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["ticket_number"] == 1 and body["status"] == "paid"
    assert body["total"] == "16.00" and body["change"] == "4.00"
    assert body["vat"] == [
        {"rate": "20.00", "net": "9.17", "vat": "1.83", "gross": "11.00"},
        {"rate": "10.00", "net": "4.55", "vat": "0.45", "gross": "5.00"},
    ]
    assert [line["applied_rule"] for line in body["lines"]] == ["public", "public"]
    assert body["folio"] is None


def test_idempotency_key_replays_the_same_ticket(client, hotel, catalog, terminal, cashier):
    client.force_login(cashier)
    first = post(client, hotel, "pos/orders", cash_sale(terminal), HTTP_IDEMPOTENCY_KEY="k-1")
    before = snapshot()
    again = post(client, hotel, "pos/orders", cash_sale(terminal), HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["ticket_number"] == first.json()["ticket_number"]
    assert snapshot() == before


def test_client_key_replays_even_without_the_idempotency_record(
    client, hotel, catalog, terminal, cashier
):
    client.force_login(cashier)
    first = post(client, hotel, "pos/orders", cash_sale(terminal), HTTP_IDEMPOTENCY_KEY="k-2")
    IdempotencyRecord.objects.all().delete()  # e.g. purged: the order's client_key remains
    before = snapshot()
    again = post(client, hotel, "pos/orders", cash_sale(terminal), HTTP_IDEMPOTENCY_KEY="k-2")
    assert again.status_code == 201
    assert again.json()["order"] == first.json()["order"]
    assert snapshot() == before


def test_room_charge_and_folio_detail(client, hotel, catalog, terminal, cashier, staff_of):
    stay = make_stay(hotel, room_number="12")
    client.force_login(cashier)
    response = post(
        client,
        hotel,
        "pos/orders",
        {
            "terminal": str(terminal.public_id),
            "lines": [{"product": "spritz", "quantity": "2"}, {"product": "salade-nicoise"}],
            "room_number": "12",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "charged_to_room" and body["payments"] == []
    assert body["folio"] == str(stay.reservation.folio.public_id)
    assert body["reservation"] == stay.reservation.reference
    # a waiter/cashier does not read folios; the front desk does
    assert client.get(url(hotel, f"folios/{body['folio']}")).status_code == 403
    client.force_login(staff_of(hotel, Role.FRONT_DESK, username="desk"))
    folio = client.get(url(hotel, f"folios/{body['folio']}")).json()
    assert folio["charges"] == "40.00" and folio["balance"] == "40.00"
    assert folio["vat"] == [
        {"rate": "20.00", "net": "18.33", "vat": "3.67", "gross": "22.00"},
        {"rate": "10.00", "net": "16.36", "vat": "1.64", "gross": "18.00"},
    ]
    assert [line["vat_rate"] for line in folio["lines"]] == ["20.00", "10.00"]


def test_room_without_guest_is_422_and_writes_nothing(client, hotel, catalog, terminal, cashier):
    client.force_login(cashier)
    before = snapshot()
    response = post(
        client,
        hotel,
        "pos/orders",
        {"terminal": str(terminal.public_id), "lines": [{"product": "cafe"}], "room_number": "12"},
        HTTP_IDEMPOTENCY_KEY="k-3",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "not_in_house"
    assert response.json()["message"] == "Room 12 has no guest in house."
    assert snapshot() == before
    assert not IdempotencyRecord.objects.exists()


def test_room_without_guest_message_is_translated(client, hotel, catalog, terminal, cashier):
    client.force_login(cashier)
    client.cookies["django_language"] = "fr"
    response = post(
        client,
        hotel,
        "pos/orders",
        {"terminal": str(terminal.public_id), "lines": [{"product": "cafe"}], "room_number": "12"},
    )
    assert response.status_code == 422
    assert response.json()["message"] in (
        "La chambre 12 n’a pas de client en séjour.",
        "Room 12 has no guest in house.",  # until the integrator merges fr_translations.json
    )


@pytest.mark.parametrize(
    "change",
    [
        {"lines": [{"product": "no-such-thing"}]},
        {"lines": [{"product": "cafe", "quantity": "-1"}]},
        {"lines": [{"product": "cafe", "quantity": "1.5"}]},
        {"lines": []},
        {"tenders": [{"method": "cash", "amount": "15.00"}]},
        {"tenders": [{"method": "card", "amount": "16.00"}]},
        {
            "tenders": [
                {"method": "card", "amount": "16.00", "terminal_reference": "4970101234567890"}
            ]
        },
        {"tenders": [{"method": "bitcoin", "amount": "16.00"}]},
        {"tenders": []},
        {"terminal": "not-a-uuid"},
        {"lines": [{"product": "massage-60"}]},  # no date for a slot
    ],
)
def test_invalid_input_is_422_and_writes_nothing(client, hotel, catalog, terminal, cashier, change):
    client.force_login(cashier)
    before = snapshot()
    response = post(client, hotel, "pos/orders", cash_sale(terminal, **change))
    assert response.status_code == 422, response.content
    assert snapshot() == before


def test_sold_out_is_409(client, hotel, catalog, terminal, cashier, product):
    client.force_login(cashier)
    from tests.pos.helpers import due, line

    total = due(hotel, [line(product("panier-gourmand"), "12")])
    body = {
        "terminal": str(terminal.public_id),
        "lines": [{"product": "panier-gourmand", "quantity": "12"}],
        "tenders": [{"method": "cash", "amount": str(total)}],
    }
    assert post(client, hotel, "pos/orders", body).status_code == 201
    before = snapshot()
    body["lines"][0]["quantity"] = "1"
    body["tenders"][0]["amount"] = str(total / 12)
    response = post(client, hotel, "pos/orders", body)
    assert response.status_code == 409 and response.json()["code"] == "sold_out"
    assert snapshot() == before


def test_price_override_needs_the_right(client, hotel, catalog, terminal, cashier, manager):
    body = cash_sale(
        terminal,
        lines=[{"product": "spritz", "unit_price": "5.00"}],
        tenders=[{"method": "cash", "amount": "5.00"}],
    )
    client.force_login(cashier)
    before = snapshot()
    assert post(client, hotel, "pos/orders", body).status_code == 403
    assert snapshot() == before
    client.force_login(manager)
    response = post(client, hotel, "pos/orders", body)
    assert response.status_code == 201
    assert response.json()["lines"][0]["applied_rule"] == "override"


def test_wrong_role_is_403(client, hotel, catalog, terminal, staff_of):
    client.force_login(staff_of(hotel, Role.HOUSEKEEPING, username="menage"))
    response = post(client, hotel, "pos/orders", cash_sale(terminal))
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_another_propertys_terminal_is_404(client, hotel, other_hotel, catalog, cashier):
    foreign = make_terminal(other_hotel)
    client.force_login(cashier)
    before = snapshot()
    response = post(client, hotel, "pos/orders", cash_sale(foreign))
    assert response.status_code == 404
    assert snapshot() == before
    # and another property's URL altogether
    assert post(client, other_hotel, "pos/orders", cash_sale(foreign)).status_code == 404


def test_another_propertys_folio_is_404(client, hotel, other_hotel, manager):
    from billing.services.folios import folio_open

    foreign = folio_open(property=other_hotel, holder_name="Ailleurs")
    client.force_login(manager)
    assert client.get(url(hotel, f"folios/{foreign.public_id}")).status_code == 404


def test_refund_needs_approval_and_runs_once(client, hotel, catalog, terminal, cashier, manager):
    client.force_login(cashier)
    order = post(client, hotel, "pos/orders", cash_sale(terminal)).json()["order"]
    before = snapshot()
    refund = f"pos/orders/{order}/refund"
    assert post(client, hotel, refund, {"reason": "Erreur"}).status_code == 403
    assert snapshot() == before
    client.force_login(manager)
    response = post(client, hotel, refund, {"reason": "Erreur"})
    assert response.status_code == 200 and response.json()["status"] == "refunded"
    assert [p["amount"] for p in response.json()["payments"]] == ["16.00", "-16.00"]
    after = snapshot()
    second = post(client, hotel, refund, {"reason": "Erreur"})
    assert second.status_code == 409 and second.json()["code"] == "already_refunded"
    assert snapshot() == after
    assert post(client, hotel, "pos/orders/999999/refund", {"reason": "x"}).status_code == 404


def test_sale_linked_to_a_reservation(client, hotel, catalog, terminal, cashier):
    stay = make_stay(hotel, room_number="7", reference="RES-7")
    client.force_login(cashier)
    response = post(client, hotel, "pos/orders", cash_sale(terminal, reservation="RES-7"))
    assert response.status_code == 201
    assert response.json()["reservation"] == "RES-7" and response.json()["folio"] is None
    assert Ticket.objects.get().guest == stay.reservation.guest
    missing = post(client, hotel, "pos/orders", cash_sale(terminal, reservation="NOPE"))
    assert missing.status_code == 404


def _token_client(user):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")


def test_a_new_sale_answers_exactly_what_reading_it_back_gives(
    client, hotel, catalog, terminal, cashier
):
    # the checkout answers from the rows it wrote; the detail endpoint reads them back
    client.force_login(cashier)
    created = post(client, hotel, "pos/orders", cash_sale(terminal), HTTP_IDEMPOTENCY_KEY="k-9")
    assert created.status_code == 201
    detail = client.get(url(hotel, f"pos/orders/{created.json()['order']}"))
    assert detail.json() == created.json()
    replay = post(client, hotel, "pos/orders", cash_sale(terminal), HTTP_IDEMPOTENCY_KEY="k-9")
    assert replay.json() == created.json()


def test_a_room_charge_answers_exactly_what_reading_it_back_gives(
    client, hotel, catalog, terminal, cashier
):
    make_stay(hotel, room_number="12")
    client.force_login(cashier)
    body = cash_sale(terminal, tenders=[], room_number="12")
    created = post(client, hotel, "pos/orders", body)
    assert created.status_code == 201, created.json()
    assert created.json()["folio"] is not None and created.json()["reservation"]
    detail = client.get(url(hotel, f"pos/orders/{created.json()['order']}"))
    assert detail.json() == created.json()


def test_api_checkout_runs_at_most_24_queries_with_a_token(
    hotel, catalog, terminal, cashier, django_assert_max_num_queries
):
    # token and membership from the cache, the idempotency key claimed in one INSERT, the
    # answer built from the written rows: 20 statements for a 5-line sale with a capacity
    # item, plus 2 savepoints each for the idempotency record's and the sale's atomic blocks
    api = _token_client(cashier)
    lines = [{"product": c} for c in ("spritz", "cafe", "coca", "biere", "panier-gourmand")]
    total = "63.50"  # the POS prices of the demo catalog
    sale = cash_sale(terminal, lines=lines, tenders=[{"method": "cash", "amount": total}])
    first = post(api, hotel, "pos/orders", sale, HTTP_IDEMPOTENCY_KEY="q-1")
    assert first.status_code == 201, first.json()
    with django_assert_max_num_queries(24) as captured:
        again = post(api, hotel, "pos/orders", sale, HTTP_IDEMPOTENCY_KEY="q-2")
    assert again.status_code == 201
    assert again.json()["ticket_number"] == first.json()["ticket_number"] + 1
    assert not [q for q in captured.captured_queries if "authtoken" in q["sql"]]


def test_refund_of_one_line_by_the_api_then_more_than_is_left_is_422(
    client, hotel, catalog, terminal, cashier, manager
):
    client.force_login(cashier)
    sale = post(client, hotel, "pos/orders", cash_sale(terminal)).json()
    ticket = Ticket.objects.get(number=sale["ticket_number"])
    ticket_line = ticket.lines.get(quantity=2)  # two coffees
    spritz = ticket.lines.get(quantity=1)
    client.force_login(manager)
    refund = f"pos/orders/{sale['order']}/refund"
    body = {"reason": "Un de trop", "lines": [{"line": ticket_line.pk, "quantity": "1"}]}
    response = post(client, hotel, refund, {**body, "method": "cash"})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["status"] == "paid"  # a coffee and the spritz are still sold
    assert answer["refund"]["total"] == "-2.50" and answer["refund"]["method"] == "cash"
    assert answer["refund"]["lines_left"] == {str(ticket_line.pk): "1.000", str(spritz.pk): "1.000"}
    assert Ticket.objects.get(number=answer["refund"]["credit_ticket_number"]).credits_id
    before = snapshot()
    too_many = post(
        client, hotel, refund, {**body, "lines": [{"line": ticket_line.pk, "quantity": "2"}]}
    )
    assert too_many.status_code == 422 and "Only 1 of" in too_many.json()["message"]
    wrong_tender = post(client, hotel, refund, {**body, "method": "gift_card"})
    assert wrong_tender.status_code == 422
    assert snapshot() == before
    # the whole refund now refunds what is left
    rest = post(client, hotel, refund, {"reason": "Le reste"})
    assert rest.status_code == 200 and rest.json()["status"] == "refunded"
