"""The manager's weekly planning: a shift planned at an outlet (one past midnight ends the
next day), each person's planned hours against the legal week, removal; bad input refused
with nothing written; a waiter may not plan; another property's outlet is refused."""

from datetime import datetime

import pytest

from core.models import AuditEntry, Role
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal
from timeclock.models import PlannedShift


@pytest.fixture
def bar(hotel):
    return make_terminal(hotel, outlet_code="bar", outlet_name="Bar").outlet


def plan(client, user, outlet, day, start, end):
    return client.post(
        "/manage/time/planning/?week=2026-W48",
        {"user_id": user.pk, "outlet": outlet.pk, "day": day, "start": start, "end": end},
    )


def test_a_manager_plans_the_week(client, hotel, manager, waiter, bar):
    client.force_login(manager)
    for day in ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"):
        assert plan(client, waiter, bar, day, "16:00", "01:00").status_code == 302
    late = PlannedShift.objects.filter(user=waiter).first()
    assert (late.start, late.end) == (
        datetime(2026, 11, 23, 16, 0, tzinfo=hotel.tz),
        datetime(2026, 11, 24, 1, 0, tzinfo=hotel.tz),
    )
    page = client.get("/manage/time/planning/?week=2026-W48").content.decode()
    assert "36 h 00" in page and "over 35 h" in page  # 4 × 9 h
    assert AuditEntry.objects.filter(action="timeclock.planned.created").count() == 4
    response = client.post(f"/manage/time/planning/{late.pk}/delete/")
    assert response.status_code == 302 and "week=2026-W48" in response["Location"]
    assert PlannedShift.objects.count() == 3
    assert AuditEntry.objects.filter(action="timeclock.planned.deleted", actor=manager).exists()


def test_bad_input_is_refused_and_nothing_is_planned(
    client, hotel, other_hotel, manager, waiter, bar
):
    elsewhere = make_terminal(other_hotel, outlet_code="ailleurs", outlet_name="Ailleurs").outlet
    client.force_login(manager)
    for response in (
        plan(client, waiter, bar, "someday", "16:00", "01:00"),
        plan(client, waiter, bar, "2026-11-23", "16:00", "16:00"),
        plan(client, waiter, elsewhere, "2026-11-23", "16:00", "20:00"),
        client.post("/manage/time/planning/", {"user_id": "x", "outlet": "", "day": ""}),
    ):
        assert response.status_code == 200
        assert 'data-testid="planning-error"' in response.content.decode()
    assert not PlannedShift.objects.exists()
    assert client.get("/manage/time/planning/?week=W99").status_code == 400


def test_a_waiter_may_not_plan(client, hotel, waiter, bar):
    client.force_login(waiter)
    assert plan(client, waiter, bar, "2026-11-23", "16:00", "20:00").status_code == 403
    assert client.get("/manage/time/planning/").status_code == 403
    assert not PlannedShift.objects.exists()


def test_the_planning_of_another_property_cannot_be_removed(client, hotel, other_hotel, bar):
    other_manager = make_staff(other_hotel, Role.MANAGER, username="other-manager")
    planned = PlannedShift.objects.create(
        property=hotel,
        outlet=bar,
        user=make_staff(hotel, Role.WAITER, username="w2"),
        start=datetime(2026, 11, 23, 9, 0, tzinfo=hotel.tz),
        end=datetime(2026, 11, 23, 12, 0, tzinfo=hotel.tz),
    )
    client.force_login(other_manager)
    assert client.post(f"/manage/time/planning/{planned.pk}/delete/").status_code == 404
    assert PlannedShift.objects.filter(pk=planned.pk).exists()
