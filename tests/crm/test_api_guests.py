"""The guests API: search, read, create, update, merge, export and erasure through the crm
services, for an integrator's scoped token."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.models import AuditEntry, Role
from crm.models import Guest
from tests.factories.api import assert_etag_304, every_page, scoped_api
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(hotel):
    return f"/api/v1/properties/{hotel.slug}/guests"


@pytest.fixture
def api(hotel, manager):
    return scoped_api(hotel, manager, areas=["crm"])


def _guest(hotel, last_name, **fields) -> Guest:
    return Guest.objects.create(organization=hotel.organization, last_name=last_name, **fields)


def test_search_by_name_email_and_phone_leaves_merged_profiles_out(api, base, hotel):
    lea = _guest(
        hotel, "Martin", first_name="Léa", email="lea.martin@gmail.com", phone="0612345678"
    )
    _guest(hotel, "Marchand", first_name="Paul")
    merged = _guest(hotel, "Martin", first_name="Lea")
    merged.merged_into = lea
    merged.save()

    def found(**params):
        response = api.get(base, params)
        assert response.status_code == 200, response.json()
        return [row["last_name"] + "/" + row["first_name"] for row in response.json()["results"]]

    assert found(name="mart") == ["Martin/Léa"]
    assert found(name="Léa") == ["Martin/Léa"]
    assert found(email="Lea.Martin+resa@GMAIL.com") == ["Martin/Léa"]
    assert found(phone="+33 6 12 34 56 78") == ["Martin/Léa"]
    assert found(phone="06 99 99 99 99") == []
    assert sorted(found()) == ["Marchand/Paul", "Martin/Léa"]


def test_bad_filters_are_refused_with_the_fields_named(api, base):
    for params, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"cursor": "forged"}, "cursor"),
        ({"colour": "blue"}, "colour"),
    ]:
        response = api.get(base, params)
        assert response.status_code == 422, params
        assert response.json()["code"] == "invalid"
        assert field in response.json()["extra"]


def test_pages_cover_every_guest_once_in_constant_queries(api, base, hotel):
    for i in range(23):
        _guest(hotel, f"Nom{i:02d}")
    seen = every_page(api, base, limit=5, key="public_id")
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == {str(g.public_id) for g in Guest.objects.all()}

    def queries(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(base, {"limit": limit}).status_code == 200
        return len(ctx)

    assert queries(2) == queries(20)


def test_a_read_answers_an_etag_and_304_until_the_guest_changes(api, base, hotel):
    guest = _guest(hotel, "Martin")
    url = f"{base}/{guest.public_id}"
    etag = assert_etag_304(api, url)
    assert_etag_304(api, base)
    response = api.patch(url, {"allergies": "arachides"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["allergies"] == "arachides"
    fresh = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag


def test_create_is_replayed_once_with_the_same_idempotency_key(api, base):
    body = {"last_name": "Martin", "first_name": "Léa", "email": "LEA@example.com"}
    first = api.post(base, body, format="json", HTTP_IDEMPOTENCY_KEY="crm-1")
    again = api.post(base, body, format="json", HTTP_IDEMPOTENCY_KEY="crm-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Guest.objects.count() == 1
    assert Guest.objects.get().email == "lea@example.com"
    reused = api.post(base, {"last_name": "Autre"}, format="json", HTTP_IDEMPOTENCY_KEY="crm-1")
    assert reused.status_code == 409 and Guest.objects.count() == 1


def test_an_update_keeps_the_fields_not_given_and_refuses_bad_ones(api, base, hotel):
    guest = _guest(hotel, "Martin", first_name="Léa", email="lea@example.com")
    url = f"{base}/{guest.public_id}"
    response = api.patch(url, {"phone": "0612345678", "diet": "vegan"}, format="json")
    assert response.status_code == 200, response.json()
    guest.refresh_from_db()
    assert (guest.first_name, guest.email, guest.phone, guest.diet) == (
        "Léa",
        "lea@example.com",
        "0612345678",
        "vegan",
    )
    bad = api.patch(url, {"country": "France", "diet": "sans gluten"}, format="json")
    assert bad.status_code == 422
    guest.refresh_from_db()
    assert guest.diet == "vegan"  # nothing changed


def test_a_read_only_token_cannot_write(hotel, manager, base):
    reader = scoped_api(hotel, manager, areas=["crm"], read_only=True)
    guest = _guest(hotel, "Martin")
    assert reader.get(f"{base}/{guest.public_id}").status_code == 200
    for response in [
        reader.post(base, {"last_name": "Nouveau"}, format="json"),
        reader.patch(f"{base}/{guest.public_id}", {"last_name": "Autre"}, format="json"),
        reader.post(f"{base}/{guest.public_id}/erase", {"confirm": "ERASE"}, format="json"),
    ]:
        assert response.status_code == 403
        assert response.json()["message"] == "This token is read-only."
    guest.refresh_from_db()
    assert guest.last_name == "Martin" and Guest.objects.count() == 1


def test_a_token_of_another_property_gets_404(hotel, other_hotel, base):
    guest = _guest(hotel, "Martin")
    elsewhere = scoped_api(
        other_hotel, make_staff(other_hotel, Role.MANAGER, username="m2"), areas=["crm"]
    )
    own = f"/api/v1/properties/{other_hotel.slug}/guests"
    assert elsewhere.get(f"{base}/{guest.public_id}").status_code == 404  # not its property
    assert elsewhere.get(f"{own}/{guest.public_id}").status_code == 404  # not its guest
    patch = elsewhere.patch(f"{own}/{guest.public_id}", {"last_name": "X"}, format="json")
    assert patch.status_code == 404
    assert elsewhere.get(own).json()["results"] == []
    guest.refresh_from_db()
    assert guest.last_name == "Martin"


def test_a_token_without_the_guests_area_is_refused(hotel, manager, base):
    assert scoped_api(hotel, manager, areas=["pms"]).get(base).status_code == 403


def test_merge_folds_the_duplicate_into_the_profile_kept(api, base, hotel):
    keep = _guest(hotel, "Martin", first_name="Léa")
    duplicate = _guest(hotel, "Martin", first_name="Lea", email="lea@example.com")
    body = {"duplicate": str(duplicate.public_id)}
    url = f"{base}/{keep.public_id}/merge"
    response = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    assert response.status_code == 200, response.json()
    assert response.json()["email"] == "lea@example.com"
    duplicate.refresh_from_db()
    assert duplicate.merged_into == keep
    # replayed: the same answer, not "already merged"
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    assert again.status_code == 200 and again.json() == response.json()
    twice = api.post(url, body, format="json")
    assert twice.status_code == 422
    read = api.get(f"{base}/{duplicate.public_id}").json()
    assert read["merged_into"] == str(keep.public_id)


def test_export_and_erase_through_the_gdpr_services(api, base, hotel):
    guest = _guest(hotel, "Martin", first_name="Léa", email="lea@example.com")
    export = api.get(f"{base}/{guest.public_id}/export")
    assert export.status_code == 200
    assert export.json()["profile"]["email"] == "lea@example.com"
    assert AuditEntry.objects.filter(action="crm.guest.exported").count() == 1
    unconfirmed = api.post(f"{base}/{guest.public_id}/erase", {}, format="json")
    assert unconfirmed.status_code == 422
    erased = api.post(
        f"{base}/{guest.public_id}/erase", {"confirm": "ERASE", "reason": "RGPD"}, format="json"
    )
    assert erased.status_code == 200, erased.json()
    guest.refresh_from_db()
    assert (guest.first_name, guest.email) == ("", "")
    assert erased.json()["email"] == ""


def test_a_front_desk_token_may_search_but_not_merge_or_erase(hotel, base):
    clerk = make_staff(hotel, Role.FRONT_DESK, username="clerk")
    api = APIClient()
    api.force_authenticate(clerk)
    guest = _guest(hotel, "Martin")
    assert api.get(base).status_code == 200
    assert (
        api.post(f"{base}/{guest.public_id}/erase", {"confirm": "ERASE"}, format="json").status_code
        == 403
    )
    assert api.get(f"{base}/{guest.public_id}/export").status_code == 403
