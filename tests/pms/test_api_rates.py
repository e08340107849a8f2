"""The rates and restrictions calendar through the API: read as the calendar screen shows it,
changed in bulk (a date range × products) through the screen's services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.models import Role
from inventory.models import DailyRate
from pms.demo import room_types_seed
from pms.models import Restriction
from tests.factories.api import scoped_api
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms(hotel, catalog):
    return room_types_seed(hotel)


@pytest.fixture
def url(hotel):
    return f"/api/v1/properties/{hotel.slug}/rates"


@pytest.fixture
def api(hotel, manager):
    return scoped_api(hotel, manager, areas=["pms"])


def _next_friday(hotel) -> date:
    day = hotel.business_date() + timedelta(days=7)
    return day + timedelta(days=(4 - day.weekday()) % 7)


def test_a_bulk_edit_sets_prices_and_restrictions_on_the_weekdays_chosen(api, url, hotel, rooms):
    friday = _next_friday(hotel)
    body = {
        "start": friday.isoformat(),
        "end": (friday + timedelta(days=13)).isoformat(),
        "weekdays": [4, 5],
        "products": ["nuit-classique"],
        "prices": {"rate_plan": "public", "set_price": "150.00"},
        "restrictions": {"min_stay": 2, "closed_to_arrival": True},
    }
    response = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert response.status_code == 200, response.json()
    assert response.json() == {"changes": 8}  # 4 prices + 4 restriction days
    rates = DailyRate.objects.filter(product__code="nuit-classique", rate_plan__code="public")
    assert sorted(r.day.weekday() for r in rates) == [4, 4, 5, 5]
    assert {r.price for r in rates} == {Decimal("150.00")}
    assert Restriction.objects.filter(min_stay=2, closed_to_arrival=True).count() == 4
    replay = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert replay.json() == {"changes": 8} and replay["Idempotent-Replayed"] == "true"

    calendar = api.get(url, {"start": friday.isoformat(), "days": 2})
    assert calendar.status_code == 200, calendar.json()
    row = next(r for r in calendar.json()["rows"] if r["product"] == "nuit-classique")
    assert row["room_type"] == "classique"
    assert [c["prices"]["public"] for c in row["cells"]] == ["150.00", "150.00"]
    assert [c["min_stay"] for c in row["cells"]] == [2, 2]
    etag = calendar["ETag"]
    again = api.get(url, {"start": friday.isoformat(), "days": 2}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304


def test_refused_edits_change_nothing(api, url, hotel, rooms):
    friday = _next_friday(hotel)
    day = friday.isoformat()
    for body in [
        {
            "start": day,
            "end": day,
            "products": ["nope"],
            "prices": {"rate_plan": "public", "set_price": "1"},
        },
        {"start": day, "end": day, "products": ["nuit-classique"]},  # nothing to change
        {
            "start": day,
            "end": day,
            "products": ["nuit-classique"],
            "prices": {"rate_plan": "public", "set_price": "-5"},
        },
        # a valid price with an invalid restriction: all or nothing
        {
            "start": day,
            "end": day,
            "products": ["nuit-classique"],
            "prices": {"rate_plan": "public", "set_price": "99"},
            "restrictions": {"min_stay": 0},
        },
    ]:
        response = api.post(url, body, format="json")
        assert response.status_code == 422, (body, response.json())
    assert not DailyRate.objects.exists() and not Restriction.objects.exists()
    assert api.get(url, {"start": day, "days": 63}).status_code == 422
    assert api.get(url).status_code == 422


def test_read_only_and_other_property_tokens(hotel, other_hotel, manager, url, rooms):
    reader = scoped_api(hotel, manager, areas=["pms"], read_only=True)
    day = _next_friday(hotel).isoformat()
    assert reader.get(url, {"start": day}).status_code == 200
    body = {"start": day, "end": day, "products": ["nuit-classique"]}
    body["prices"] = {"rate_plan": "public", "set_price": "10"}
    assert reader.post(url, body, format="json").status_code == 403
    elsewhere = scoped_api(
        other_hotel, make_staff(other_hotel, Role.MANAGER, username="m2"), areas=["pms"]
    )
    assert elsewhere.post(url, body, format="json").status_code == 404
    assert not DailyRate.objects.exists()
