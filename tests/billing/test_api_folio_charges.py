"""An outside system posts a charge to an in-house guest's folio: found through the stays
list, priced and taxed by the catalogue, posted once whatever the retries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from billing.models import Folio, FolioLine
from core.models import Role
from pms.models import Reservation
from tests.factories.api import assert_etag_304, every_page, scoped_api
from tests.factories.core import make_staff
from tests.factories.stays import make_stay

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def stay(hotel, catalog):
    return make_stay(hotel, room_number="12")


@pytest.fixture
def api(hotel, manager):
    return scoped_api(hotel, manager, areas=["pms", "billing"])


def _charges(hotel, folio) -> str:
    return f"/api/v1/properties/{hotel.slug}/folios/{folio.public_id}/charges"


def test_the_stays_list_gives_the_folio_to_charge(api, hotel, stay):
    make_stay(hotel, room_number="14", status=Reservation.Status.CONFIRMED)
    response = api.get(f"/api/v1/properties/{hotel.slug}/stays")
    assert response.status_code == 200, response.json()
    [row] = response.json()["results"]
    assert row["rooms"] == ["12"] and row["guest"]["last_name"] == "Dupont"
    assert row["folio"] == str(stay.reservation.folio.public_id)
    by_room = api.get(f"/api/v1/properties/{hotel.slug}/stays", {"room": "14"})
    assert by_room.json()["results"] == []  # booked, not in house


def test_stays_pages_cover_every_stay_once_in_constant_queries(api, hotel, catalog):
    for number in range(101, 114):
        make_stay(hotel, room_number=str(number))
    url = f"/api/v1/properties/{hotel.slug}/stays"
    seen = every_page(api, url, limit=4, key="reference")
    assert len(seen) == len(set(seen)) == 13
    assert_etag_304(api, url)

    def queries(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url, {"limit": limit}).status_code == 200
        return len(ctx)

    assert queries(2) == queries(13)


def test_a_charge_takes_the_products_vat_and_a_replay_posts_once(api, hotel, stay):
    folio = stay.reservation.folio
    body = {"product": "spritz", "quantity": "2"}
    first = api.post(_charges(hotel, folio), body, format="json", HTTP_IDEMPOTENCY_KEY="spa-881")
    assert first.status_code == 201, first.json()
    line = first.json()["line"]
    # 2 × 11,00 € TTC, alcohol at 20 %: 22,00 of which VAT 3,67
    assert (line["total"], line["vat_rate"], line["vat_amount"], line["net"]) == (
        "22.00",
        "20.00",
        "3.67",
        "18.33",
    )
    assert line["revenue_category"] == "alcohol" and first.json()["balance"] == "22.00"
    again = api.post(_charges(hotel, folio), body, format="json", HTTP_IDEMPOTENCY_KEY="spa-881")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert FolioLine.objects.filter(folio=folio).count() == 1
    other = api.post(_charges(hotel, folio), body, format="json", HTTP_IDEMPOTENCY_KEY="spa-882")
    assert other.status_code == 201
    assert FolioLine.objects.filter(folio=folio).count() == 2


def test_a_manager_sets_the_price_and_the_vat_still_comes_from_the_catalogue(api, hotel, stay):
    folio = stay.reservation.folio
    response = api.post(
        _charges(hotel, folio),
        {"product": "spritz", "unit_price": "9.50", "description": "Spritz (spa)"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 201, response.json()
    line = FolioLine.objects.get(folio=folio)
    assert (line.total, line.vat_rate, line.vat_amount) == (D("9.50"), D("20.00"), D("1.58"))
    assert line.description == "Spritz (spa)"


def test_a_front_desk_role_cannot_set_the_price(hotel, stay):
    clerk = make_staff(hotel, Role.FRONT_DESK, username="clerk")
    api = APIClient()
    api.force_authenticate(clerk)
    response = api.post(
        _charges(hotel, stay.reservation.folio),
        {"product": "spritz", "unit_price": "1.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 403
    assert not FolioLine.objects.exists()


def test_refusals_change_nothing(api, hotel, stay):
    folio = stay.reservation.folio
    url = _charges(hotel, folio)
    assert api.post(url, {"product": "spritz"}, format="json").status_code == 422  # no key
    for body in [
        {"product": "nope"},
        {"product": "spritz", "quantity": "0"},
        {"product": "nuit-classique"},  # a night is booked, not charged
    ]:
        response = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=str(body))
        assert response.status_code == 422, (body, response.json())
    Folio.objects.filter(pk=folio.pk).update(status=Folio.Status.SETTLED)
    settled = api.post(url, {"product": "spritz"}, format="json", HTTP_IDEMPOTENCY_KEY="s")
    assert settled.status_code == 422
    assert not FolioLine.objects.exists()


def test_a_read_only_token_cannot_charge(hotel, manager, stay):
    reader = scoped_api(hotel, manager, areas=["pms", "billing"], read_only=True)
    assert reader.get(f"/api/v1/properties/{hotel.slug}/stays").status_code == 200
    response = reader.post(
        _charges(hotel, stay.reservation.folio),
        {"product": "spritz"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 403
    assert not FolioLine.objects.exists()


def test_a_token_of_another_property_gets_404(hotel, other_hotel, stay):
    elsewhere = scoped_api(
        other_hotel,
        make_staff(other_hotel, Role.MANAGER, username="m2"),
        areas=["pms", "billing"],
    )
    folio = stay.reservation.folio
    own = f"/api/v1/properties/{other_hotel.slug}/folios/{folio.public_id}/charges"
    for url in (_charges(hotel, folio), own):
        response = elsewhere.post(
            url, {"product": "spritz"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
        )
        assert response.status_code == 404
    assert elsewhere.get(f"/api/v1/properties/{other_hotel.slug}/stays").json()["results"] == []
    assert not FolioLine.objects.exists()
