"""The dashboard's KPIs through the API: the same figures as the manager's dashboard
(reporting.selectors.dashboard) for a period of business dates."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from core.models import Role
from reporting.periods import Period
from reporting.selectors import dashboard
from tests.factories.api import assert_etag_304, scoped_api
from tests.factories.core import make_staff
from tests.factories.stays import make_stay

pytestmark = pytest.mark.django_db


@pytest.fixture
def url(hotel):
    return f"/api/v1/properties/{hotel.slug}/reports/kpis"


def test_the_kpis_are_the_dashboards(hotel, manager, url):
    make_stay(hotel, room_number="12")
    make_stay(hotel, room_number="14")
    today = hotel.business_date()
    params = {"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()}
    api = scoped_api(hotel, manager, areas=["reporting"], read_only=True)
    response = api.get(url, params)
    assert response.status_code == 200, response.json()
    body = response.json()
    expected = dashboard(
        properties=[hotel], period=Period(today - timedelta(days=6), today), today=today
    )
    assert body["rooms_in_service"] == expected.rooms_in_service == 2
    assert body["room_nights_available"] == expected.room_nights_available
    assert body["start"] == params["start"] and len(body["by_day"]) == 7
    assert_etag_304(api, url, params)


def test_bad_periods_are_refused(hotel, manager, url):
    api = scoped_api(hotel, manager, areas=["reporting"])
    today = hotel.business_date()
    for params in [
        {},
        {"start": today.isoformat(), "end": (today - timedelta(days=1)).isoformat()},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"start": "hier", "end": today.isoformat()},
        {"start": today.isoformat(), "end": today.isoformat(), "scope": "organization"},
    ]:
        response = api.get(url, params)
        assert response.status_code == 422, params


def test_only_managers_with_the_reporting_area_read_them(hotel, other_hotel, manager, url):
    today = hotel.business_date().isoformat()
    params = {"start": today, "end": today}
    assert scoped_api(hotel, manager, areas=["pms"]).get(url, params).status_code == 403
    clerk = make_staff(hotel, Role.FRONT_DESK, username="clerk")
    api = APIClient()
    api.force_authenticate(clerk)
    assert api.get(url, params).status_code == 403
    elsewhere = scoped_api(
        other_hotel, make_staff(other_hotel, Role.MANAGER, username="m2"), areas=["reporting"]
    )
    assert elsewhere.get(url, params).status_code == 404
