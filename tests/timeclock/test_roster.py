"""The roster: last week's planned shifts copied into the week shown in one tap (a second
tap copies nothing; a shift whose person left, whose outlet closed or that overlaps one
already planned is skipped and listed on screen), and one planned shift changed on screen
(times, person, outlet; audited; bad input refused with nothing changed). Three taps at
once still copy the week once."""

from datetime import date, datetime

import pytest

from core.models import AuditEntry, Membership, Role
from tests.concurrency import race
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal
from timeclock.models import PlannedShift
from timeclock.services import planned_week_copy

W47, W48 = "2026-W47", "2026-W48"


@pytest.fixture
def bar(hotel):
    return make_terminal(hotel, outlet_code="bar", outlet_name="Bar").outlet


@pytest.fixture
def terrace(hotel):
    return make_terminal(hotel, outlet_code="terrasse", outlet_name="Terrasse").outlet


def at(hotel, day, clock):
    hour, minute = map(int, clock.split(":"))
    return datetime(2026, 11, day, hour, minute, tzinfo=hotel.tz)


def planned(hotel, user, outlet, day, start, end, end_day=None):
    return PlannedShift.objects.create(
        property=hotel,
        user=user,
        outlet=outlet,
        start=at(hotel, day, start),
        end=at(hotel, end_day or day, end),
    )


@pytest.fixture
def last_week(hotel, waiter, bar, terrace):
    """W47 (16–22 Nov): the waiter Mon 09–17 at the bar and Fri 18:00–01:00 on the terrace,
    a bartender Tue 10–18, a leaver Wed 12–20."""
    bartender = make_staff(hotel, Role.BARTENDER, username="bartender")
    leaver = make_staff(hotel, Role.WAITER, username="leaver")
    planned(hotel, waiter, bar, 16, "09:00", "17:00")
    planned(hotel, waiter, terrace, 20, "18:00", "01:00", end_day=21)
    planned(hotel, bartender, bar, 17, "10:00", "18:00")
    planned(hotel, leaver, bar, 18, "12:00", "20:00")
    Membership.objects.filter(user=leaver).update(is_active=False)
    return bartender, leaver


def copy(client, week=W48):
    return client.post(f"/manage/time/planning/copy/?week={week}", follow=True)


def test_a_week_is_copied_once_and_conflicts_are_listed(
    client, hotel, manager, waiter, bar, last_week
):
    bartender, leaver = last_week
    # already in W48: the bartender Tue 14–22 (overlaps his copy)
    planned(hotel, bartender, bar, 24, "14:00", "22:00")
    client.force_login(manager)
    page = copy(client).content.decode()
    assert "2 shifts copied from the previous week." in page
    assert f"Not copied: {leaver.get_full_name()} on Wednesday 18/11 at 12:00 (Bar)" in page
    assert "no longer works here" in page
    assert f"Not copied: {bartender.get_full_name()} on Tuesday 17/11 at 10:00 (Bar)" in page
    assert "overlaps a shift already planned" in page
    copied = PlannedShift.objects.filter(start__gte=at(hotel, 23, "00:00"), user=waiter)
    assert sorted((p.start, p.end, p.outlet.code) for p in copied) == [
        (at(hotel, 23, "09:00"), at(hotel, 23, "17:00"), "bar"),
        (at(hotel, 27, "18:00"), at(hotel, 28, "01:00"), "terrasse"),
    ]
    entry = AuditEntry.objects.get(action="timeclock.planned.copied")
    assert entry.actor == manager and entry.data["copied"] == 2 and entry.data["skipped"] == 2
    # the second tap: nothing duplicated
    page = copy(client).content.decode()
    assert "0 shifts copied from the previous week." in page
    assert "2 shifts were already planned: left as is." in page
    assert PlannedShift.objects.filter(start__gte=at(hotel, 23, "00:00")).count() == 3
    assert AuditEntry.objects.filter(action="timeclock.planned.copied").count() == 1


def test_copying_is_for_managers_of_the_property_only(client, hotel, waiter, last_week):
    client.force_login(waiter)
    assert client.post(f"/manage/time/planning/copy/?week={W48}").status_code == 403
    assert not PlannedShift.objects.filter(start__gte=at(hotel, 23, "00:00")).exists()


def test_a_bad_week_is_refused(client, hotel, manager, last_week):
    client.force_login(manager)
    page = client.post("/manage/time/planning/copy/?week=nope", follow=True).content.decode()
    assert "Choose a week such as 2026-W49." in page
    assert PlannedShift.objects.count() == 4


def test_a_planned_shift_is_changed_on_screen(client, hotel, manager, waiter, bar, terrace):
    shift = planned(hotel, waiter, bar, 23, "09:00", "17:00")
    other = make_staff(hotel, Role.WAITER, username="other")
    client.force_login(manager)
    page = client.get(f"/manage/time/planning/{shift.pk}/").content.decode()
    assert 'value="09:00"' in page and 'value="2026-11-23"' in page
    response = client.post(
        f"/manage/time/planning/{shift.pk}/",
        {
            "user_id": other.pk,
            "outlet": terrace.pk,
            "day": "2026-11-24",
            "start": "18:00",
            "end": "02:00",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("week=2026-W48")
    shift.refresh_from_db()
    assert (shift.user, shift.outlet, shift.start, shift.end) == (
        other,
        terrace,
        at(hotel, 24, "18:00"),
        at(hotel, 25, "02:00"),
    )
    entry = AuditEntry.objects.get(action="timeclock.planned.updated")
    assert entry.data["before"]["user"] == waiter.pk and entry.data["after"]["user"] == other.pk


def test_a_bad_change_is_refused_and_nothing_changes(
    client, hotel, other_hotel, manager, waiter, bar
):
    shift = planned(hotel, waiter, bar, 23, "09:00", "17:00")
    planned(hotel, waiter, bar, 24, "09:00", "17:00")
    elsewhere = make_terminal(other_hotel, outlet_code="ailleurs", outlet_name="Ailleurs").outlet
    client.force_login(manager)
    url = f"/manage/time/planning/{shift.pk}/"
    base = {"user_id": waiter.pk, "outlet": bar.pk, "day": "2026-11-23", "start": "09:00"}
    for data, message in (
        ({**base, "end": "09:00"}, "The shift must end after it starts."),
        ({**base, "day": "2026-11-24", "end": "12:00"}, "already has a shift planned at that time"),
        ({**base, "outlet": elsewhere.pk, "end": "12:00"}, "Choose a person and an outlet"),
        ({**base, "start": "25:00", "end": "12:00"}, "Give the day and the times"),
    ):
        response = client.post(url, data)
        assert response.status_code == 400 and message in response.content.decode()
    shift.refresh_from_db()
    assert (shift.start, shift.end, shift.outlet) == (
        at(hotel, 23, "09:00"),
        at(hotel, 23, "17:00"),
        bar,
    )
    assert not AuditEntry.objects.filter(action="timeclock.planned.updated").exists()
    client.force_login(waiter)
    assert client.get(url).status_code == 403
    client.force_login(make_staff(other_hotel, Role.MANAGER, username="ailleurs"))
    assert client.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_three_taps_at_once_copy_the_week_once(hotel, manager, waiter, bar, terrace):
    planned(hotel, waiter, bar, 16, "09:00", "17:00")
    planned(hotel, waiter, terrace, 20, "18:00", "01:00", end_day=21)
    results = race(
        [
            lambda: planned_week_copy(
                property=hotel,
                actor=manager,
                from_monday=date(2026, 11, 16),
                to_monday=date(2026, 11, 23),
            )
            for _tap in range(3)
        ]
    )
    assert sorted(len(r.copied) for r in results) == [0, 0, 2]
    assert sorted(r.already for r in results) == [0, 2, 2]
    assert PlannedShift.objects.filter(start__gte=at(hotel, 23, "00:00")).count() == 2
    assert AuditEntry.objects.filter(action="timeclock.planned.copied").count() == 1
