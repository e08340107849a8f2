"""API tokens are served from a short cache (core.api_auth): a revoked token, a deactivated
user, a changed role or a removed membership must still take effect on the very next call."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from core.models import Membership, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def cashier(hotel, staff_of):
    return staff_of(hotel, Role.CASHIER)


@pytest.fixture
def api(cashier):
    token = Token.objects.create(user=cashier)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
    client.token = token
    return client


def products(api, hotel):
    return api.get(f"/api/v1/properties/{hotel.slug}/products")


def refund(api, hotel):
    # pos.approve: a manager may, a cashier may not (403 before the order is looked up)
    return api.post(
        f"/api/v1/properties/{hotel.slug}/pos/orders/999999/refund",
        {"reason": "test"},
        content_type="application/json",
    )


def test_a_known_token_is_answered_without_auth_queries(api, hotel, django_assert_max_num_queries):
    assert products(api, hotel).status_code == 200
    with django_assert_max_num_queries(1):  # the product list itself; no token/membership
        assert products(api, hotel).status_code == 200


def test_a_revoked_token_is_refused_on_the_next_call(api, hotel):
    assert products(api, hotel).status_code == 200  # now cached
    api.token.delete()
    response = products(api, hotel)
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid token."


def test_a_deactivated_user_is_refused_on_the_next_call(api, hotel, cashier):
    assert products(api, hotel).status_code == 200
    cashier.is_active = False
    cashier.save()
    assert products(api, hotel).status_code == 401


def test_a_role_change_takes_effect_on_the_next_call(api, hotel, cashier):
    assert refund(api, hotel).status_code == 403  # cashier: cached as such
    membership = Membership.objects.get(user=cashier, property=hotel)
    membership.role = Role.MANAGER
    membership.save()
    assert refund(api, hotel).status_code == 404  # allowed now: no such order
    membership.role = Role.HOUSEKEEPING
    membership.save()
    assert products(api, hotel).status_code == 403


def test_a_removed_or_deactivated_membership_takes_effect_on_the_next_call(
    api, hotel, other_hotel, cashier, staff_of
):
    assert products(api, hotel).status_code == 200
    membership = Membership.objects.get(user=cashier, property=hotel)
    membership.is_active = False
    membership.save()
    assert products(api, hotel).status_code == 404
    membership.is_active = True
    membership.save()
    assert products(api, hotel).status_code == 200
    membership.delete()
    assert products(api, hotel).status_code == 404


def test_a_new_membership_is_seen_on_the_next_call(api, other_hotel, cashier):
    assert products(api, other_hotel).status_code == 404  # cached: works only at `hotel`
    Membership.objects.create(user=cashier, property=other_hotel, role=Role.CASHIER)
    assert products(api, other_hotel).status_code == 200


def test_a_renamed_property_is_seen_on_the_next_call(api, hotel):
    assert api.get("/api/v1/me").status_code == 200
    assert products(api, hotel).status_code == 200
    hotel.slug = "nouveau-nom"
    hotel.save()
    assert products(api, hotel).status_code == 200
    assert api.get("/api/v1/properties/les-tests/products").status_code == 404


def test_another_token_of_the_same_user_is_unaffected_by_a_revocation(api, hotel, cashier):
    # DRF allows one token per user: re-issuing one revokes the old key at once
    old = api.token.key
    assert products(api, hotel).status_code == 200
    api.token.delete()
    fresh = Token.objects.create(user=cashier)
    assert fresh.key != old
    api.defaults["HTTP_AUTHORIZATION"] = f"Token {fresh.key}"
    assert products(api, hotel).status_code == 200
    api.defaults["HTTP_AUTHORIZATION"] = f"Token {old}"
    assert products(api, hotel).status_code == 401
