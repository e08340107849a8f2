"""The time clock: punches by PIN at a terminal (the PIN check and its throttle are core's),
the week's hours for a hand-computed week (a break, an overnight shift, overtime, a shift
across two weeks), the payroll CSV, a forgotten clock-out, and corrections by a manager
only, audited."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.exceptions import Conflict, PermissionDenied
from core.models import AuditEntry, Role
from core.services import PinThrottled
from core.terminals import COOKIE
from tests.factories.core import make_staff
from tests.factories.screens import terminal_cookie
from timeclock.models import ShiftBreak, WorkedShift
from timeclock.selectors import worked_weeks
from timeclock.services import clock_punch, clock_punch_with_pin, shift_correct

MONDAY = date(2026, 11, 23)  # ISO week 2026-W48


def at(day_offset: int, clock: str, hotel) -> datetime:
    hour, minute = map(int, clock.split(":"))
    day = MONDAY + timedelta(days=day_offset)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=hotel.tz)


def shift(hotel, user, start, end, *breaks):
    worked = WorkedShift.objects.create(property=hotel, user=user, clock_in=start, clock_out=end)
    for b_start, b_end in breaks:
        ShiftBreak.objects.create(shift=worked, start=b_start, end=b_end)
    return worked


@pytest.fixture
def week(hotel, waiter):
    """The waiter's hand-computed week 2026-W48 (Paris time):
    Mon 09:00-17:30, break 12:00-12:30 -> 8 h 00 (break 0 h 30)
    Tue 09:00-17:00                    -> 8 h 00
    Wed 10:00-18:00, break 14:00-15:00 -> 7 h 00 (break 1 h 00)
    Fri 18:00-Sat 03:00 (overnight), break 23:00-23:30 -> 8 h 30 (break 0 h 30)
    Sat 18:00-23:00                    -> 5 h 00
    Sun 22:00-Mon 02:00 (into W49)     -> 2 h 00 in W48, 2 h 00 in W49
    W48: 38 h 30 worked = 35 h + 3 h 30 at 25 %, breaks 2 h 00, 6 shifts."""
    h = lambda d, c: at(d, c, hotel)  # noqa: E731
    shift(hotel, waiter, h(0, "09:00"), h(0, "17:30"), (h(0, "12:00"), h(0, "12:30")))
    shift(hotel, waiter, h(1, "09:00"), h(1, "17:00"))
    shift(hotel, waiter, h(2, "10:00"), h(2, "18:00"), (h(2, "14:00"), h(2, "15:00")))
    shift(hotel, waiter, h(4, "18:00"), h(5, "03:00"), (h(4, "23:00"), h(4, "23:30")))
    shift(hotel, waiter, h(5, "18:00"), h(5, "23:00"))
    shift(hotel, waiter, h(6, "22:00"), h(7, "02:00"))


@pytest.fixture
def long_week(hotel):
    """A bartender's five 9-hour days: 45 h = 35 h + 8 h at 25 % + 2 h at 50 %."""
    bartender = make_staff(hotel, Role.BARTENDER, username="bartender")
    for day in range(5):
        shift(hotel, bartender, at(day, "08:00", hotel), at(day, "17:00", hotel))
    return bartender


def test_the_hand_computed_week(hotel, waiter, week, long_week):
    rows = {r.user.username: r for r in worked_weeks(property=hotel, first_monday=MONDAY)}
    w = rows["waiter"]
    assert (w.h("worked"), w.h("breaks"), w.shifts) == (Decimal("38.50"), Decimal("2.00"), 6)
    assert (w.h("regular"), w.h("overtime_25"), w.h("overtime_50")) == (
        Decimal("35.00"),
        Decimal("3.50"),
        Decimal("0.00"),
    )
    assert w.overtime and not w.open_shift
    b = rows["bartender"]
    assert (b.h("worked"), b.h("overtime_25"), b.h("overtime_50")) == (
        Decimal("45.00"),
        Decimal("8.00"),
        Decimal("2.00"),
    )
    # the Sunday night's last two hours belong to the next week
    (next_week,) = worked_weeks(property=hotel, first_monday=MONDAY + timedelta(weeks=1))
    assert (next_week.user, next_week.h("worked"), next_week.shifts) == (waiter, Decimal("2.00"), 0)


def test_the_week_costs_the_same_queries_for_more_shifts(hotel, week, long_week):
    with CaptureQueriesContext(connection) as few:
        worked_weeks(property=hotel, first_monday=MONDAY, weeks=2)
    for n in range(10):
        extra = make_staff(hotel, Role.WAITER, username=f"extra{n}")
        shift(
            hotel,
            extra,
            at(n % 7, "08:00", hotel),
            at(n % 7, "12:00", hotel),
            (at(n % 7, "10:00", hotel), at(n % 7, "10:15", hotel)),
        )
    with CaptureQueriesContext(connection) as many:
        rows = worked_weeks(property=hotel, first_monday=MONDAY, weeks=2)
    assert len(rows) == 2 + 10 + 1  # the waiter's second week too
    assert len(many) == len(few) == 4  # settings, shifts, their breaks, people


def test_the_payroll_csv(client, hotel, manager, waiter, week, long_week):
    client.force_login(manager)
    response = client.get("/manage/time/export.csv?week=2026-W48&weeks=2")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert rows[0] == [
        "property", "employee_id", "username", "employee", "week", "week_start",
        "worked_hours", "break_hours", "regular_hours", "overtime_25_hours",
        "overtime_50_hours", "shifts", "open_shift", "corrected",
    ]  # fmt: skip
    body = {(r[2], r[4]): r[6:] for r in rows[1:]}
    assert body == {
        ("waiter", "2026-W48"): ["38.50", "2.00", "35.00", "3.50", "0.00", "6", "0", "0"],
        ("bartender", "2026-W48"): ["45.00", "0.00", "35.00", "8.00", "2.00", "5", "0", "0"],
        ("waiter", "2026-W49"): ["2.00", "0.00", "2.00", "0.00", "0.00", "0", "0", "0"],
    }
    assert {r[0] for r in rows[1:]} == {hotel.slug}
    assert client.get("/manage/time/export.csv?week=nonsense").status_code == 400
    assert client.get("/manage/time/export.csv?week=2026-W48&weeks=99").status_code == 400


def test_the_week_screen_says_the_convention_and_flags_overtime(client, hotel, manager, week):
    client.force_login(manager)
    page = client.get("/manage/time/?week=2026-W48").content.decode()
    assert "Legal week of 35 hours" in page
    assert "38 h 30" in page and "3 h 30" in page
    assert "overtime" in page


def test_punches_follow_the_person_state(hotel, waiter):
    start = timezone.now() - timedelta(hours=3)
    clock_punch(property=hotel, user=waiter, action="in", now=start)
    with pytest.raises(Conflict):
        clock_punch(property=hotel, user=waiter, action="in")
    with pytest.raises(Conflict):
        clock_punch(property=hotel, user=waiter, action="resume")
    clock_punch(property=hotel, user=waiter, action="break", now=start + timedelta(hours=1))
    clock_punch(property=hotel, user=waiter, action="out", now=start + timedelta(hours=2))
    worked = WorkedShift.objects.get(user=waiter)
    assert worked.clock_out == start + timedelta(hours=2)
    assert worked.breaks.get().end == worked.clock_out  # the break ends with the shift
    with pytest.raises(Conflict):
        clock_punch(property=hotel, user=waiter, action="out")
    assert set(
        AuditEntry.objects.filter(action__startswith="timeclock.punch").values_list(
            "action", flat=True
        )
    ) == {"timeclock.punch.in", "timeclock.punch.break", "timeclock.punch.out"}


def test_the_pin_is_core_pin_check_and_its_throttle(hotel, waiter, settings):
    with pytest.raises(PermissionDenied):
        clock_punch_with_pin(property=hotel, user_id=waiter.pk, pin="9999", action="in")
    assert not WorkedShift.objects.exists()
    assert AuditEntry.objects.filter(action="core.staff.pin_failed").count() == 1
    for _n in range(settings.PIN_MAX_FAILURES):
        try:
            clock_punch_with_pin(property=hotel, user_id=waiter.pk, pin="9999", action="in")
        except PinThrottled:
            break
        except PermissionDenied:
            continue
    with pytest.raises(PinThrottled):  # even the right PIN, until the window ends
        clock_punch_with_pin(property=hotel, user_id=waiter.pk, pin="2222", action="in")
    assert not WorkedShift.objects.exists()


def test_a_forgotten_clock_out_is_flagged(client, hotel, manager, waiter):
    WorkedShift.objects.create(
        property=hotel, user=waiter, clock_in=timezone.now() - timedelta(hours=15)
    )
    client.force_login(manager)
    page = client.get("/manage/time/").content.decode()
    assert 'data-testid="forgotten"' in page
    assert "forgot to clock out" in page


def test_a_manager_corrects_audited_and_a_waiter_cannot(client, hotel, manager, waiter, week):
    monday = WorkedShift.objects.get(user=waiter, clock_in=at(0, "09:00", hotel))
    # the waiter: refused by the service and by the screen, nothing changed
    with pytest.raises(PermissionDenied):
        shift_correct(
            shift=monday,
            actor=waiter,
            clock_in=at(0, "08:00", hotel),
            clock_out=at(0, "17:30", hotel),
            breaks=[],
            reason="I came early",
        )
    client.force_login(waiter)
    response = client.post(
        f"/manage/time/{waiter.pk}/?week=2026-W48",
        {"shift_id": monday.pk, "clock_in": "2026-11-23T08:00", "clock_out": "2026-11-23T17:30",
         "reason": "I came early"},
    )  # fmt: skip
    assert response.status_code in (302, 403) and "/manage/time/" not in response.get(
        "Location", ""
    )
    monday.refresh_from_db()
    assert (monday.clock_in, monday.corrected) == (at(0, "09:00", hotel), False)
    # the manager: the clock-in moved to 08:30, the break kept, a second break added
    client.force_login(manager)
    (brk,) = monday.breaks.all()
    response = client.post(
        f"/manage/time/{waiter.pk}/?week=2026-W48",
        {
            "shift_id": monday.pk,
            "clock_in": "2026-11-23T08:30",
            "clock_out": "2026-11-23T17:30",
            f"break_{brk.pk}_start": "2026-11-23T12:00",
            f"break_{brk.pk}_end": "2026-11-23T12:30",
            "new_break_start": "2026-11-23T16:00",
            "new_break_end": "2026-11-23T16:15",
            "reason": "Forgot to clock in",
        },
    )
    assert response.status_code == 302
    monday.refresh_from_db()
    assert monday.clock_in == at(0, "08:30", hotel) and monday.corrected
    entry = AuditEntry.objects.get(action="timeclock.shift.corrected")
    assert entry.actor == manager and entry.data["reason"] == "Forgot to clock in"
    assert datetime.fromisoformat(entry.data["before"]["clock_in"]) == at(0, "09:00", hotel)
    assert datetime.fromisoformat(entry.data["after"]["clock_in"]) == at(0, "08:30", hotel)
    assert len(entry.data["after"]["breaks"]) == 2
    (row,) = [r for r in worked_weeks(property=hotel, first_monday=MONDAY) if r.user == waiter]
    # +30 min earlier, -15 min of the new break
    assert (row.h("worked"), row.h("breaks"), row.corrected) == (
        Decimal("38.75"),
        Decimal("2.25"),
        True,
    )


def test_a_bad_correction_is_refused_and_changes_nothing(client, hotel, manager, waiter, week):
    monday = WorkedShift.objects.get(user=waiter, clock_in=at(0, "09:00", hotel))
    client.force_login(manager)
    for data in (
        {"clock_in": "2026-11-23T18:00", "clock_out": "2026-11-23T17:30", "reason": "x"},
        {"clock_in": "yesterday", "clock_out": "", "reason": "x"},
        {"clock_in": "2026-11-23T09:00", "clock_out": "2026-11-23T17:30", "reason": ""},
        {"clock_in": "2026-11-23T09:00", "clock_out": "2026-11-23T17:30", "reason": "x",
         "new_break_start": "2026-11-23T18:00", "new_break_end": "2026-11-23T18:30"},
    ):  # fmt: skip
        response = client.post(
            f"/manage/time/{waiter.pk}/?week=2026-W48", {"shift_id": monday.pk, **data}
        )
        assert response.status_code == 200
        assert 'data-testid="correction-error"' in response.content.decode()
    monday.refresh_from_db()
    assert not monday.corrected
    assert not AuditEntry.objects.filter(action="timeclock.shift.corrected").exists()


def test_a_forgotten_shift_is_added_by_a_manager(client, hotel, manager, waiter):
    client.force_login(manager)
    response = client.post(
        f"/manage/time/{waiter.pk}/?week=2026-W48",
        {"clock_in": "2026-11-24T09:00", "clock_out": "2026-11-24T13:00", "reason": "Tablet down"},
    )
    assert response.status_code == 302
    (row,) = worked_weeks(property=hotel, first_monday=MONDAY)
    assert row.h("worked") == Decimal("4.00")
    assert AuditEntry.objects.filter(action="timeclock.shift.added", actor=manager).exists()


def test_the_clock_screen_on_a_terminal(client, hotel, waiter, terminal):
    client.cookies[COOKIE] = terminal_cookie(terminal)
    page = client.get("/clock/")
    assert page.status_code == 200 and "waiter" in page.content.decode()
    done = client.post("/clock/", {"user_id": waiter.pk, "pin": "2222", "action": "in"})
    assert 'data-testid="clock-done"' in done.content.decode()
    assert WorkedShift.objects.filter(user=waiter, clock_out__isnull=True).exists()
    again = client.post("/clock/", {"user_id": waiter.pk, "pin": "2222", "action": "in"})
    assert again.status_code == 409 and "already clocked in" in again.content.decode()
    wrong = client.post("/clock/", {"user_id": waiter.pk, "pin": "0000", "action": "out"})
    assert wrong.status_code == 403
    assert client.post("/clock/", {"user_id": "x", "pin": "", "action": "?"}).status_code == 422
    # an unbound browser is sent to sign in
    client.cookies.pop(COOKIE)
    assert client.get("/clock/").status_code == 302


def test_another_property_manager_sees_nothing(client, hotel, other_hotel, waiter, week):
    other_manager = make_staff(other_hotel, Role.MANAGER, username="other-manager")
    client.force_login(other_manager)
    assert client.get(f"/manage/time/{waiter.pk}/").status_code == 404
    assert "waiter" not in client.get("/manage/time/export.csv?week=2026-W48").content.decode()


def test_a_signed_in_unbound_browser_is_told_why_in_amber_not_green(client, waiter):
    """The clock on a browser no manager bound: home, with the refusal as a warning (it
    used to show in the success green, as if something had worked)."""
    client.force_login(waiter)
    home = client.get("/clock/", follow=True)
    page = home.content.decode()
    assert home.status_code == 200 and 'class="msg-warning"' in page
    assert "is not a shared terminal" in page and 'class="msg-info"' not in page
