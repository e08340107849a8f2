"""Catalog, availability and quote through the API: scoped, token-authenticated, clear errors."""

from datetime import date, time

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import Role
from inventory.models import Channel
from inventory.services.capacity import CapacityNeed, capacity_consume

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(hotel, staff_of):
    user = staff_of(hotel, Role.FRONT_DESK, username="desk")
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}", HTTP_ACCEPT_LANGUAGE="en"
    )
    return client


def url(hotel, path):
    return f"/api/v1/properties/{hotel.slug}/{path}"


def test_anonymous_gets_401(client, hotel, catalog):
    assert APIClient().get(url(hotel, "products")).status_code == 401


def test_other_property_is_404(api, other_hotel, catalog):
    response = api.get(url(other_hotel, "products"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_quote_gives_the_same_price_as_the_service(api, hotel, catalog, product):
    body = {
        "channel": "booking_engine",
        "booking_date": "2027-05-01",
        "lines": [
            {"product": "nuit-superieure", "start": "2027-05-10", "end": "2027-05-12"},
            {"product": "petit-dejeuner", "quantity": "4", "start": "2027-05-11"},
        ],
    }
    response = api.post(url(hotel, "quote"), body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [line["total"] for line in data["lines"]] == ["264.00", "32.00"]
    assert data["total"] == "296.00"
    assert "promo:petit-dej-web" in data["lines"][1]["applied_rule"]
    assert data["vat"] == [{"rate": "10.00", "net": "269.09", "vat": "26.91", "gross": "296.00"}]


def test_quote_with_unknown_product_is_422(api, hotel, catalog):
    response = api.post(
        url(hotel, "quote"), {"channel": "pos", "lines": [{"product": "caviar"}]}, format="json"
    )
    assert response.status_code == 422
    assert "Unknown product" in response.json()["message"]


def test_quote_with_negative_quantity_is_422(api, hotel, catalog):
    response = api.post(
        url(hotel, "quote"),
        {"channel": "pos", "lines": [{"product": "cafe", "quantity": "-2"}]},
        format="json",
    )
    assert response.status_code == 422
    assert "positive" in response.json()["message"]


def test_availability_reflects_an_on_site_sale_at_once(api, hotel, catalog, product):
    from django.db import transaction

    spa = product("massage-60").capacity_pool
    params = {"products": "massage-60", "start": "2026-12-05", "channel": "booking_engine"}
    before = api.get(url(hotel, "products/availability"), params).json()
    assert before["products"][0]["available"]["15:00"] == [2]
    with transaction.atomic():
        capacity_consume(
            property=hotel,
            channel=Channel.POS,
            reference="spa-desk:1",
            needs=[
                CapacityNeed(
                    pool_id=spa.pk, quantity=2, day=date(2026, 12, 5), slot_time=time(15, 0)
                )
            ],
        )
    after = api.get(url(hotel, "products/availability"), params).json()
    assert after["products"][0]["available"]["15:00"] == [0]
    assert after["products"][0]["available"]["16:00"] == [2]


def test_availability_of_many_products_over_a_year_is_a_few_queries(
    api, hotel, catalog, django_assert_max_num_queries
):
    params = {
        "products": "nuit-classique,nuit-superieure,nuit-junior,nuit-familiale,"
        "massage-60,pass-piscine,panier-gourmand",
        "start": "2027-01-01",
        "end": "2027-12-31",
        "channel": "ota",
    }
    with django_assert_max_num_queries(8):
        response = api.get(url(hotel, "products/availability"), params)
    assert response.status_code == 200
    products = response.json()["products"]
    nights = products[0]["available"]["day"]
    assert len(nights) == 364
    assert nights[0] == 9  # 10 classic rooms, one held back for on-site sale
    assert products[6]["available"] == {"day": [12]}  # baskets: one stock figure, no dates
    assert set(products[4]["available"]) == {"10:00", "11:00", "14:00", "15:00", "16:00", "17:00"}


def test_availability_with_dates_out_of_order_is_422(api, hotel, catalog):
    response = api.get(
        url(hotel, "products/availability"),
        {"products": "pass-piscine", "start": "2027-01-05", "end": "2027-01-01"},
    )
    assert response.status_code == 422


def test_openapi_schema_is_served_without_warnings(client, manager):
    client.force_login(manager)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/v1/properties/{property_slug}/quote" in schema
    assert "QuoteOutput" in schema


def test_the_product_list_is_paged_by_code_each_product_once(api, hotel, catalog):
    from inventory.models import Product
    from tests.factories.api import every_page

    seen = every_page(api, url(hotel, "products"), limit=4, key="code")
    expected = sorted(
        Product.objects.filter(property=hotel, is_active=True).values_list("code", flat=True)
    )
    assert seen == expected and len(seen) > 4
    first = api.get(url(hotel, "products"), {"limit": 4}).json()
    assert len(first["results"]) == 4 and first["next"]
    assert api.get(url(hotel, "products"), {"cursor": "forged"}).status_code == 422
    assert api.get(url(hotel, "products"), {"category": "x"}).status_code == 422
