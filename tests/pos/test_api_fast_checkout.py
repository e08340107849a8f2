"""A terminal's API checkout answered without DRF (core.fast_api): the same answers as the
DRF view for the same request — the sale, its errors, its replays — and the worker's copy
of the products still sees a price change or a withdrawn product on the next sale."""

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from core.models import IdempotencyRecord, Membership, Role
from inventory.models import Product
from pos.api import OrderCheckoutApi, OrderOutputSerializer, checkout_parse, sale_payload
from pos.models import Order
from pos.selectors import order_get
from pos.services.checkout import Sale
from tests.factories.stays import make_stay
from tests.pos.helpers import snapshot

pytestmark = pytest.mark.django_db
TERMINAL = "6f1d3c2e-7a4b-4c59-9e0d-2b8f5a1c7e90"


def url(hotel):
    return f"/api/v1/properties/{hotel.slug}/pos/orders"


def cash_sale(till, **extra):
    body = {
        "terminal": str(till.public_id),
        "lines": [{"product": "spritz"}, {"product": "cafe", "quantity": "2"}],
        "tenders": [{"method": "cash", "amount": "16.00", "tendered": "20.00"}],
    }
    body.update(extra)
    return body


@pytest.fixture
def api(cashier):
    token = Token.objects.create(user=cashier)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
    client.token = token
    return client


def post(client, hotel, body, **headers):
    return client.post(url(hotel), body, content_type="application/json", **headers)


# bodies the DRF serializer accepts or refuses; the plain validator must accept none that it
# refuses, and give the same values for those it accepts
BODIES = [
    {"terminal": TERMINAL, "lines": [{"product": "spritz"}]},
    {"terminal": TERMINAL.upper(), "lines": [{"product": " spritz ", "quantity": 2}]},
    {"terminal": TERMINAL, "lines": [{"product": 12, "quantity": 1.5, "variant": None}]},
    {
        "terminal": TERMINAL,
        "lines": [
            {
                "product": "massage",
                "quantity": "1.005",
                "day": "2026-12-24",
                "slot_time": "10:30",
                "modifiers": [1, 2],
                "unit_price": "12.5",
                "variant": 3,
            }
        ],
        "tenders": [
            {"method": "cash", "amount": "10", "tendered": None},
            {"method": "card", "amount": 2.5, "terminal_reference": " T-1 "},
        ],
        "room_number": "",
        "reservation": None,
        "client_key": "abc",
        "print_receipt": True,
        "ignored": "x",
    },
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "quantity": "1.23"}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "quantity": "1.2345"}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "quantity": "12345678"}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "quantity": "NaN"}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "quantity": None}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "quantity": ""}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "quantity": True}]},
    {"terminal": TERMINAL, "lines": [{"product": ""}]},
    {"terminal": TERMINAL, "lines": [{"product": "x" * 51}]},
    {"terminal": TERMINAL, "lines": [{"product": "caf\x00e"}]},
    {"terminal": TERMINAL, "lines": [{"product": True}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "day": "2026-02-30"}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "slot_time": "25:00"}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "modifiers": None}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "modifiers": ["1"]}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "modifiers": list(range(21))}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "variant": "x"}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe", "unit_price": "1.234"}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe"}] * 501},
    {"terminal": TERMINAL, "lines": []},
    {"terminal": TERMINAL, "lines": "cafe"},
    {"terminal": TERMINAL, "lines": ["cafe"]},
    {"terminal": "not-a-uuid", "lines": [{"product": "cafe"}]},
    {"terminal": 12, "lines": [{"product": "cafe"}]},
    {"lines": [{"product": "cafe"}]},
    {"terminal": TERMINAL},
    {"terminal": TERMINAL, "lines": [{"product": "cafe"}], "tenders": None},
    {"terminal": TERMINAL, "lines": [{"product": "cafe"}], "tenders": [{"method": "bitcoin"}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe"}], "tenders": [{"method": ["cash"]}]},
    {"terminal": TERMINAL, "lines": [{"product": "cafe"}], "tenders": [{"method": "cash"}]},
    {
        "terminal": TERMINAL,
        "lines": [{"product": "cafe"}],
        "tenders": [{"method": "cash", "amount": "1"}] * 11,
    },
    {"terminal": TERMINAL, "lines": [{"product": "cafe"}], "room_number": "12345678901"},
    {"terminal": TERMINAL, "lines": [{"product": "cafe"}], "room_number": 12},
    {"terminal": TERMINAL, "lines": [{"product": "cafe"}], "print_receipt": "yes"},
    {"terminal": TERMINAL, "lines": [{"product": "cafe"}], "client_key": "k" * 201},
    ["not", "a", "dict"],
]


@pytest.mark.parametrize("body", BODIES)
def test_the_plain_validator_refuses_what_drf_refuses_and_agrees_on_the_rest(body):
    serializer = OrderCheckoutApi.InputSerializer(data=body)
    parsed = checkout_parse(body)
    if not serializer.is_valid():
        assert parsed is None  # the DRF view answers it, with its own 422
    elif parsed is not None:
        assert parsed == serializer.validated_data


def test_the_plain_validator_takes_a_terminals_everyday_sales():
    for body in BODIES[:5]:
        assert checkout_parse(body) is not None, body


def test_the_answer_is_what_the_output_serializer_writes(hotel, catalog, terminal, cashier, api):
    make_stay(hotel, room_number="12", reference="RES-12")
    bodies = [
        cash_sale(terminal),
        cash_sale(terminal, reservation="RES-12"),
        cash_sale(terminal, tenders=[], room_number="12"),
    ]
    for body in bodies:
        response = post(api, hotel, body)
        assert response.status_code == 201, response.json()
        order = order_get(property=hotel, order_id=response.json()["order"])
        sale = Sale.of_order(order)
        assert sale_payload(sale) == OrderOutputSerializer(sale).data
        assert response.json() == OrderOutputSerializer(sale).data


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"lines": [{"product": "no-such-thing"}]},
        {"lines": [{"product": "cafe", "quantity": "-1"}]},
        {"lines": [{"product": "cafe", "quantity": "1.5"}]},
        {"lines": []},
        {"lines": [{"product": "spritz", "unit_price": "5.00"}]},
        {"tenders": [{"method": "cash", "amount": "15.00"}]},
        {"tenders": [{"method": "bitcoin", "amount": "16.00"}]},
        {"terminal": "not-a-uuid"},
        {"terminal": TERMINAL},
        {"room_number": "12", "tenders": []},
        {"reservation": "NOPE"},
        {"lines": [{"product": "massage-60"}]},
    ],
)
def test_a_token_terminal_gets_the_answer_a_signed_in_cashier_gets(
    client, hotel, catalog, terminal, cashier, api, change
):
    body = cash_sale(terminal, **change)
    client.force_login(cashier)  # a session: the DRF view
    by_session = post(client, hotel, body, HTTP_ACCEPT_LANGUAGE="en")
    before = snapshot()
    by_token = post(api, hotel, body)
    assert by_token.status_code == by_session.status_code
    expected, got = by_session.json(), by_token.json()
    if by_session.status_code == 201:
        for varying in ("order", "ticket", "ticket_number"):
            expected.pop(varying), got.pop(varying)
    else:
        assert snapshot() == before  # a refusal writes nothing
    assert got == expected
    assert by_token["Content-Type"] == "application/json"


def test_a_token_checkout_replays_its_key_and_refuses_another_body_under_it(
    hotel, catalog, terminal, api
):
    first = post(api, hotel, cash_sale(terminal), HTTP_IDEMPOTENCY_KEY="t-1")
    assert first.status_code == 201 and not first.has_header("Idempotent-Replayed")
    before = snapshot()
    again = post(api, hotel, cash_sale(terminal), HTTP_IDEMPOTENCY_KEY="t-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = post(api, hotel, cash_sale(terminal, print_receipt=True), HTTP_IDEMPOTENCY_KEY="t-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    assert snapshot() == before
    # an error is not stored: the key stays free for the corrected sale
    wrong = cash_sale(terminal, tenders=[{"method": "cash", "amount": "1.00"}])
    assert post(api, hotel, wrong, HTTP_IDEMPOTENCY_KEY="t-2").status_code == 422
    assert not IdempotencyRecord.objects.filter(key="t-2").exists()
    assert post(api, hotel, cash_sale(terminal), HTTP_IDEMPOTENCY_KEY="t-2").status_code == 201
    assert Order.objects.count() == 2


def test_a_price_change_is_charged_on_the_next_sale(hotel, catalog, terminal, api):
    body = cash_sale(terminal, tenders=[{"method": "cash", "amount": "16.00"}])
    assert post(api, hotel, body).status_code == 201  # the products now in the worker's copy
    spritz = Product.objects.get(property=hotel, code="spritz")
    spritz.price += Decimal("1.00")
    spritz.save()
    stale = post(api, hotel, body)
    assert stale.status_code == 422, stale.json()
    body["tenders"][0]["amount"] = "17.00"
    response = post(api, hotel, body)
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "17.00"


def test_a_withdrawn_product_is_unknown_on_the_next_sale(hotel, catalog, terminal, api):
    assert post(api, hotel, cash_sale(terminal)).status_code == 201
    spritz = Product.objects.get(property=hotel, code="spritz")
    spritz.is_active = False
    spritz.save()
    response = post(api, hotel, cash_sale(terminal))
    assert response.status_code == 422
    assert response.json()["extra"] == {"unknown_products": ["spritz"]}


def test_a_revoked_token_or_a_lost_right_is_refused_on_the_next_sale(
    hotel, catalog, terminal, cashier, api
):
    assert post(api, hotel, cash_sale(terminal)).status_code == 201
    membership = Membership.objects.get(user=cashier, property=hotel)
    membership.role = Role.HOUSEKEEPING
    membership.save()
    assert post(api, hotel, cash_sale(terminal)).status_code == 403
    membership.delete()
    assert post(api, hotel, cash_sale(terminal)).status_code == 404
    Membership.objects.create(user=cashier, property=hotel, role=Role.CASHIER)
    assert post(api, hotel, cash_sale(terminal)).status_code == 201
    api.token.delete()
    refused = post(api, hotel, cash_sale(terminal))
    assert refused.status_code == 401 and refused.json()["message"] == "Invalid token."
    assert Order.objects.count() == 2


def test_a_token_sale_reads_no_product_row_to_resolve_its_codes(
    hotel, catalog, terminal, api, django_assert_max_num_queries
):
    assert post(api, hotel, cash_sale(terminal)).status_code == 201
    with django_assert_max_num_queries(24) as captured:
        assert post(api, hotel, cash_sale(terminal)).status_code == 201
    assert not [q for q in captured.captured_queries if '"inventory_product"."code" IN' in q["sql"]]


def test_a_removed_terminal_or_a_moved_till_is_seen_on_the_next_sale(hotel, catalog, terminal, api):
    assert post(api, hotel, cash_sale(terminal)).status_code == 201  # the worker keeps it
    terminal.name = "Caisse renommée"
    terminal.save()
    renamed = post(api, hotel, cash_sale(terminal))
    assert renamed.status_code == 201 and renamed.json()["terminal"] == "Caisse renommée"
    terminal.is_active = False
    terminal.save()
    gone = post(api, hotel, cash_sale(terminal))
    assert gone.status_code == 404 and gone.json()["message"] == "No such terminal."
