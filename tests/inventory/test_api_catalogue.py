"""The catalogue's back office through the API: categories and products (prices, VAT,
allergens, the rate plans' prices) read by any API role, changed by a manager through the
back-office services."""

import time
from decimal import Decimal
from unittest import mock

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.models import AuditEntry, Role
from inventory.models import Category, Price, Product
from tests.factories.api import assert_etag_304, every_page, scoped_api
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(hotel):
    return f"/api/v1/properties/{hotel.slug}/catalogue"


@pytest.fixture
def api(hotel, manager):
    return scoped_api(hotel, manager, areas=["inventory"])


def test_product_pages_cover_the_catalogue_once_in_constant_queries(api, base, hotel, catalog):
    seen = every_page(api, f"{base}/products", limit=7, key="code")
    assert len(seen) == len(set(seen)) == Product.objects.filter(property=hotel).count()
    categories = every_page(api, f"{base}/categories", limit=2, key="id")
    assert len(categories) == Category.objects.filter(property=hotel).count()
    assert_etag_304(api, f"{base}/products", {"limit": 5})
    assert_etag_304(api, f"{base}/categories")

    def queries(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(f"{base}/products", {"limit": limit}).status_code == 200
        return len(ctx)

    assert queries(2) == queries(40)


def test_a_page_read_again_seconds_later_is_the_same_page_and_answers_304(api, base, catalog):
    """The next page's cursor carries no clock: the same page read a few seconds apart is the
    same body, so its ETag still matches (it once changed when a second ticked between two
    reads), and a cursor still leads to the same next page."""
    url = f"{base}/products"
    now = time.time()
    with mock.patch("time.time", return_value=now):
        first = api.get(url, {"limit": 5})
    with mock.patch("time.time", return_value=now + 7):
        again = api.get(url, {"limit": 5}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert first.json()["next"]
    assert again.status_code == 304
    following = api.get(url, {"limit": 5, "cursor": first.json()["next"]})
    assert following.status_code == 200
    codes = [p["code"] for p in first.json()["results"] + following.json()["results"]]
    assert len(codes) == len(set(codes)) == min(10, Product.objects.count())
    # a cursor handed out before (with a timestamp) still leads to the same page
    values = signing.Signer(salt="core.api_reads.cursor").unsign_object(first.json()["next"])
    old = api.get(url, {"limit": 5, "cursor": signing.dumps(values, salt="core.api_reads.cursor")})
    assert old.json()["results"] == following.json()["results"]
    bad = api.get(url, {"limit": 5, "cursor": first.json()["next"] + "x"})
    assert bad.status_code == 422, bad.json()


def test_a_manager_creates_a_product_with_its_vat_allergens_and_plan_price(api, base, catalog):
    category = api.post(f"{base}/categories", {"name_fr": "Apéritifs"}, format="json")
    assert category.status_code == 201, category.json()
    body = {
        "code": "hugo",
        "name_fr": "Hugo",
        "category": category.json()["id"],
        "price": "10.00",
        "vat_rate": "20.00",
        "revenue_category": "alcohol",
        "allergens": ["sulphites"],
        "plan_prices": {"groupe": "8.50"},
    }
    created = api.post(f"{base}/products", body, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    assert created.status_code == 201, created.json()
    assert created.json()["plan_prices"] == {"groupe": "8.50"}
    replay = api.post(f"{base}/products", body, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    assert replay.json() == created.json()
    product = Product.objects.get(code="hugo")
    assert (product.vat_rate, product.allergens, product.price) == (
        Decimal("20.00"),
        ["sulphites"],
        Decimal("10.00"),
    )
    assert Price.objects.get(product=product).price == Decimal("8.50")
    assert AuditEntry.objects.filter(action="inventory.product.created").count() == 1


def test_an_update_changes_what_is_given_and_the_etag(api, base, catalog):
    url = f"{base}/products/spritz"
    etag = assert_etag_304(api, url)
    response = api.patch(url, {"price": "12.00", "plan_prices": {"groupe": "10.00"}}, format="json")
    assert response.status_code == 200, response.json()
    spritz = Product.objects.get(code="spritz")
    assert spritz.price == Decimal("12.00") and spritz.vat_rate == Decimal("20.00")
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    removed = api.patch(url, {"plan_prices": {"groupe": None}}, format="json")
    assert removed.json()["plan_prices"] == {}


def test_refusals_change_nothing(api, base, catalog):
    url = f"{base}/products/spritz"
    for body in [
        {"vat_rate": "19.60"},
        {"allergens": ["glitter"]},
        {"price": "-1"},
        {"plan_prices": {"no-such-plan": "5"}},
        {"category": 999999},
        {"code": "renamed"},
    ]:
        response = api.patch(url, body, format="json")
        assert response.status_code == 422, (body, response.json())
    spritz = Product.objects.get(code="spritz")
    assert (spritz.price, spritz.vat_rate, spritz.allergens) == (
        Decimal("11.00"),
        Decimal("20.00"),
        spritz.allergens,
    )
    assert not Price.objects.filter(product=spritz).exists()
    assert api.get(f"{base}/products", {"is_active": "maybe"}).status_code == 422


def test_a_waiter_reads_the_catalogue_but_cannot_change_it(hotel, waiter, base, catalog):
    api = APIClient()
    api.force_authenticate(waiter)
    assert api.get(f"{base}/products/spritz").status_code == 200
    assert api.patch(f"{base}/products/spritz", {"price": "1"}, format="json").status_code == 403
    assert Product.objects.get(code="spritz").price == Decimal("11.00")


def test_read_only_and_other_property_tokens(hotel, other_hotel, manager, base, catalog):
    reader = scoped_api(hotel, manager, areas=["inventory"], read_only=True)
    assert reader.get(f"{base}/products/spritz").status_code == 200
    assert reader.patch(f"{base}/products/spritz", {"price": "1"}, format="json").status_code == 403
    assert reader.post(f"{base}/categories", {"name_fr": "X"}, format="json").status_code == 403
    elsewhere = scoped_api(
        other_hotel, make_staff(other_hotel, Role.MANAGER, username="m2"), areas=["inventory"]
    )
    own = f"/api/v1/properties/{other_hotel.slug}/catalogue"
    category = Category.objects.filter(property=hotel).first()
    assert elsewhere.get(f"{base}/products/spritz").status_code == 404
    assert elsewhere.get(f"{own}/products/spritz").status_code == 404
    assert (
        elsewhere.patch(
            f"{own}/categories/{category.pk}", {"name_fr": "X"}, format="json"
        ).status_code
        == 404
    )
    assert Product.objects.get(code="spritz").price == Decimal("11.00")
    category.refresh_from_db()
    assert category.name_fr != "X"
