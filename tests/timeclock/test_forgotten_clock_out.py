"""A forgotten clock-out: a shift still open after the property's hours (12 h) or past its
planned end and margin raises one "clock_out" alert from the beat's alert task, once per
shift; the manager closes the shift on the hours screen with an end time and a reason
(audited, its open break ended too) and its alert is resolved at once; an end before the
start or in the future is refused in French with nothing changed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEntry
from reporting.models import Alert
from reporting.services import alert_message
from reporting.tasks import alerts_evaluate_task
from tests.factories.pos import make_terminal
from timeclock.models import PlannedShift, ShiftBreak, TimeclockSettings, WorkedShift
from timeclock.services import shift_correct


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def bar(hotel):
    return make_terminal(hotel, outlet_code="bar", outlet_name="Bar").outlet


@pytest.fixture
def forgotten(hotel, waiter):
    """The waiter clocked in 13 hours ago, took a break 9 hours ago and never came back."""
    now = timezone.now()
    shift = WorkedShift.objects.create(
        property=hotel, user=waiter, clock_in=now - timedelta(hours=13)
    )
    ShiftBreak.objects.create(shift=shift, start=now - timedelta(hours=9))
    return shift


def test_the_beat_raises_one_alert_per_forgotten_shift(hotel, waiter, forgotten, staff_of):
    recent = WorkedShift.objects.create(
        property=hotel, user=staff_of(hotel), clock_in=timezone.now() - timedelta(hours=3)
    )
    alerts_evaluate_task()
    alerts_evaluate_task()  # the next beat: the same cause, nothing more
    alert = Alert.objects.get(kind=Alert.Kind.CLOCK_OUT)
    assert alert.cause == f"clock-out:{forgotten.pk}" and alert.property == hotel
    assert alert.data["shift"] == forgotten.pk
    assert "has not clocked out" in alert_message(alert)
    assert not Alert.objects.filter(cause=f"clock-out:{recent.pk}").exists()


def test_the_hours_are_a_property_setting(hotel, waiter, forgotten):
    TimeclockSettings.objects.create(property=hotel, forgotten_after_hours=14)
    alerts_evaluate_task()
    assert not Alert.objects.filter(kind=Alert.Kind.CLOCK_OUT).exists()


def test_a_shift_past_its_planned_end_and_margin_is_forgotten(hotel, waiter, bar, staff_of):
    now = timezone.now()
    # planned 4 h ago until 90 minutes ago, clocked in on time: past the 60-minute margin
    PlannedShift.objects.create(
        property=hotel,
        outlet=bar,
        user=waiter,
        start=now - timedelta(hours=4),
        end=now - timedelta(minutes=90),
    )
    late = WorkedShift.objects.create(
        property=hotel, user=waiter, clock_in=now - timedelta(hours=4, minutes=5)
    )
    # another, planned until 30 minutes ago: still inside the margin
    barman = staff_of(hotel)
    PlannedShift.objects.create(
        property=hotel,
        outlet=bar,
        user=barman,
        start=now - timedelta(hours=4),
        end=now - timedelta(minutes=30),
    )
    WorkedShift.objects.create(property=hotel, user=barman, clock_in=now - timedelta(hours=4))
    alerts_evaluate_task()
    assert list(Alert.objects.values_list("cause", flat=True)) == [f"clock-out:{late.pk}"]


def test_the_manager_closes_the_shift_on_the_hours_screen(client, hotel, manager, forgotten):
    alerts_evaluate_task()
    client.force_login(manager)
    page = client.get("/manage/time/").content.decode()
    assert f'data-testid="forgotten-{forgotten.pk}"' in page
    end = forgotten.clock_in + timedelta(hours=8)
    response = client.post(
        f"/manage/time/close/{forgotten.pk}/?week=",
        {"clock_out": local(end), "reason": "left at 8 pm, said the chef"},
    )
    assert response.status_code == 302
    forgotten.refresh_from_db()
    assert forgotten.clock_out == end.replace(second=0, microsecond=0) and forgotten.corrected
    assert forgotten.breaks.get().end == forgotten.clock_out  # the open break ended then
    entry = AuditEntry.objects.get(action="timeclock.shift.closed")
    assert entry.actor == manager and entry.data["reason"] == "left at 8 pm, said the chef"
    assert entry.data["before"]["clock_out"] is None and entry.data["after"]["clock_out"]
    assert (
        f'data-testid="forgotten-{forgotten.pk}"'
        not in client.get("/manage/time/").content.decode()
    )
    # the alert is resolved in the closing transaction; the next beats never raise it again
    assert Alert.objects.get(kind=Alert.Kind.CLOCK_OUT).resolved_at is not None
    alerts_evaluate_task()
    alerts_evaluate_task()
    assert Alert.objects.get(kind=Alert.Kind.CLOCK_OUT).resolved_at is not None


@pytest.mark.parametrize(
    "end, message",
    [
        (lambda s: s.clock_in - timedelta(hours=1), "Le départ doit être après l"),
        (
            lambda s: timezone.now() + timedelta(hours=1),
            "Le départ ne peut pas être dans le futur.",
        ),
        (
            lambda s: s.clock_in + timedelta(hours=2),  # before the open break started
            "Le départ doit être après la pause commencée à",
        ),
    ],
)
def test_a_bad_end_is_refused_in_french_and_nothing_changes(
    client, hotel, manager, forgotten, end, message
):
    client.cookies["django_language"] = "fr"
    client.force_login(manager)
    response = client.post(
        f"/manage/time/close/{forgotten.pk}/", {"clock_out": local(end(forgotten)), "reason": "x"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    forgotten.refresh_from_db()
    assert forgotten.clock_out is None and not forgotten.corrected
    assert forgotten.breaks.get().end is None
    assert not AuditEntry.objects.filter(action="timeclock.shift.closed").exists()


def test_a_reason_is_required_and_only_a_manager_of_the_property_closes(
    client, hotel, other_hotel, manager, waiter, forgotten, staff_of
):
    client.force_login(manager)
    end = local(forgotten.clock_in + timedelta(hours=8))
    response = client.post(f"/manage/time/close/{forgotten.pk}/", {"clock_out": end, "reason": " "})
    assert response.status_code == 400 and "Give a reason" in response.content.decode()
    client.force_login(waiter)
    assert (
        client.post(
            f"/manage/time/close/{forgotten.pk}/", {"clock_out": end, "reason": "x"}
        ).status_code
        == 403
    )
    elsewhere = staff_of(other_hotel, "manager")
    client.force_login(elsewhere)
    assert (
        client.post(
            f"/manage/time/close/{forgotten.pk}/", {"clock_out": end, "reason": "x"}
        ).status_code
        == 404
    )
    forgotten.refresh_from_db()
    assert forgotten.clock_out is None


def test_a_correction_that_closes_the_shift_resolves_its_alert(hotel, manager, forgotten):
    alerts_evaluate_task()
    shift_correct(
        shift=forgotten,
        actor=manager,
        clock_in=forgotten.clock_in,
        clock_out=forgotten.clock_in + timedelta(hours=7),
        breaks=[],
        reason="left at 7",
    )
    assert Alert.objects.get(kind=Alert.Kind.CLOCK_OUT).resolved_at is not None
