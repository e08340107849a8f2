"""Cash sessions through the API, read only: the drawers a till opened and closed, with the
live totals of an open one (pos.services.cash.cash_session_totals)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.models import Role
from pos.models import CashSession
from pos.services.cash import cash_session_open
from tests.factories.api import assert_etag_304, every_page, scoped_api
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(hotel):
    return f"/api/v1/properties/{hotel.slug}/pos/cash-sessions"


@pytest.fixture
def api(hotel, manager):
    return scoped_api(hotel, manager, areas=["pos"])


def _sessions(hotel, manager, n: int) -> list[CashSession]:
    return [
        cash_session_open(
            terminal=make_terminal(hotel, name=f"Caisse {i}"),
            actor=manager,
            opening_float=Decimal("150.00"),
        )
        for i in range(n)
    ]


def test_pages_cover_every_session_once_newest_first_in_constant_queries(api, base, hotel, manager):
    opened = _sessions(hotel, manager, 9)
    seen = every_page(api, base, limit=4, key="id")
    assert seen == [s.pk for s in reversed(opened)]
    assert_etag_304(api, base)

    def queries(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(base, {"limit": limit}).status_code == 200
        return len(ctx)

    assert queries(1) == queries(9)
    closed = api.get(base, {"status": "closed"}).json()["results"]
    assert closed == []
    assert api.get(base, {"status": "lost"}).status_code == 422


def test_an_open_session_reads_its_live_totals(api, base, hotel, manager):
    [session] = _sessions(hotel, manager, 1)
    response = api.get(f"{base}/{session.pk}")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["opening_float"], body["till"]) == (
        "open",
        "150.00",
        "Bar · Caisse 0",
    )
    assert body["totals"]["expected_cash"] == "150.00"
    assert_etag_304(api, f"{base}/{session.pk}")


def test_a_waiter_and_another_property_are_refused(hotel, other_hotel, waiter, manager, base):
    [session] = _sessions(hotel, manager, 1)
    api = APIClient()
    api.force_authenticate(waiter)
    assert api.get(base).status_code == 403  # pos.cash: cashiers, bartenders, managers
    elsewhere = scoped_api(
        other_hotel, make_staff(other_hotel, Role.MANAGER, username="m2"), areas=["pos"]
    )
    assert elsewhere.get(f"{base}/{session.pk}").status_code == 404
    own = f"/api/v1/properties/{other_hotel.slug}/pos/cash-sessions"
    assert elsewhere.get(f"{own}/{session.pk}").status_code == 404
    assert elsewhere.get(own).json()["results"] == []
    # the list is read only: no write is routed
    assert (
        scoped_api(hotel, manager, areas=["pos"]).post(base, {}, format="json").status_code == 405
    )
