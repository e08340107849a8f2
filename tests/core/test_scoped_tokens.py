"""Scoped API tokens: a manager creates one on screen (its key shown once) and revokes it; a
read-only token cannot write, a token opens only its areas, and a token of one property gets
404 on another's."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import ApiToken, Membership, Role
from pms.models import Reservation
from tests.factories.stays import make_stay

pytestmark = pytest.mark.django_db


def _create(client, **fields) -> str:
    response = client.post(reverse("core:api_tokens"), fields)
    assert response.status_code == 200, response.content
    page = response.content.decode()
    start = page.index("aub_")
    return page[start : page.index("<", start)]


def _api(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
    return api


@pytest.fixture
def signed_in_manager(client, manager):
    client.force_login(manager)
    return client


def test_a_manager_creates_a_token_whose_key_is_shown_once_and_never_stored(
    signed_in_manager, hotel
):
    key = _create(signed_in_manager, name="Channel manager", access="read", areas=["pms"])
    token = ApiToken.objects.get()
    assert (token.property, token.read_only, token.areas) == (hotel, True, ["pms"])
    assert key.startswith("aub_") and key not in str(list(ApiToken.objects.values()))
    page = signed_in_manager.get(reverse("core:api_tokens")).content.decode()
    assert "Channel manager" in page and key not in page and token.prefix in page


def test_a_read_only_token_reads_but_cannot_write(signed_in_manager, hotel):
    stay = make_stay(hotel, status=Reservation.Status.CONFIRMED)
    reference = stay.reservation.reference
    api = _api(_create(signed_in_manager, name="Reader", access="read", areas=["pms"]))
    base = f"/api/v1/properties/{hotel.slug}"
    read = api.get(f"{base}/reservations/{reference}")
    assert read.status_code == 200 and read.json()["reference"] == reference
    cancel = api.post(f"{base}/reservations/{reference}/cancel", {}, format="json")
    assert cancel.status_code == 403
    assert cancel.json()["message"] == "This token is read-only."
    stay.reservation.refresh_from_db()
    assert stay.reservation.status == Reservation.Status.CONFIRMED
    # an area the token does not open
    assert api.get(f"{base}/products").status_code == 403


def test_a_read_write_token_writes_in_its_areas(signed_in_manager, hotel):
    stay = make_stay(hotel, status=Reservation.Status.CONFIRMED)
    api = _api(_create(signed_in_manager, name="Writer", access="write", areas=["pms"]))
    reference = stay.reservation.reference
    cancel = api.post(
        f"/api/v1/properties/{hotel.slug}/reservations/{reference}/cancel",
        {"reason": "asked by the guest"},
        format="json",
    )
    assert cancel.status_code == 200, cancel.json()
    stay.reservation.refresh_from_db()
    assert stay.reservation.status == Reservation.Status.CANCELLED


def test_a_token_of_one_property_gets_404_on_another(
    signed_in_manager, hotel, other_hotel, manager
):
    # the token is made for the first property; the manager also works at the second
    api = _api(_create(signed_in_manager, name="Hotel one", access="write", areas=["pms"]))
    assert ApiToken.objects.get().property == hotel
    Membership.objects.create(user=manager, property=other_hotel, role=Role.MANAGER)
    theirs = make_stay(other_hotel, room_number="7").reservation
    other_base = f"/api/v1/properties/{other_hotel.slug}"
    assert api.get(f"{other_base}/reservations/{theirs.reference}").status_code == 404
    query = {"start": "2030-01-01", "end": "2030-01-02"}
    assert api.get(f"{other_base}/availability", query).status_code == 404
    assert (
        api.get(f"/api/v1/properties/{hotel.slug}/reservations/{theirs.reference}").status_code
        == 404
    )
    assert [p["slug"] for p in api.get("/api/v1/me").json()["properties"]] == [hotel.slug]


def test_a_revoked_token_and_a_departed_manager_lose_access(signed_in_manager, hotel, manager):
    base = f"/api/v1/properties/{hotel.slug}/availability"
    query = {"start": "2030-01-01", "end": "2030-01-02"}
    key = _create(signed_in_manager, name="Old", access="read", areas=["pms"])
    api = _api(key)
    assert api.get(base, query).status_code == 200
    token = ApiToken.objects.get()
    signed_in_manager.post(reverse("core:api_token_revoke", args=[token.pk]))
    assert api.get(base, query).status_code == 401

    key = _create(signed_in_manager, name="New", access="read", areas=["pms"])
    api = _api(key)
    assert api.get(base, query).status_code == 200
    Membership.objects.filter(user=manager, property=hotel).update(is_active=False)
    # a bulk update sends no signal: the membership's save does
    membership = Membership.objects.get(user=manager, property=hotel)
    membership.save()
    assert api.get(base, query).status_code == 404


def test_only_managers_create_tokens_and_bad_input_changes_nothing(
    client, signed_in_manager, hotel, staff_of
):
    refused = signed_in_manager.post(
        reverse("core:api_tokens"), {"name": "No area", "access": "read"}
    )
    assert refused.status_code == 422 and "Choose at least one area" in refused.content.decode()
    assert not ApiToken.objects.exists()
    client.force_login(staff_of(hotel, Role.CASHIER, username="cashier"))
    assert client.get(reverse("core:api_tokens")).status_code == 403
    assert _api("aub_not-a-key").get("/api/v1/me").status_code == 401
