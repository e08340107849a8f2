"""Planned against worked per person and week: the hand-computed week (38 h 30 worked, the
payroll's figure) against 32 h 30 planned: +6 h 00, 3 h 30 overtime, one late arrival, one
missed shift; the same rows as CSV and XLSX; the organisation's properties the manager
manages, and no other; a constant number of SQL aggregates."""

import csv
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Membership, Role
from tests.factories.core import PropertyFactory, make_staff
from tests.factories.pos import make_terminal
from tests.timeclock.test_hours import MONDAY, at, shift
from tests.timeclock.test_hours import week as week  # noqa: F401  (the hand-computed week)
from timeclock.models import PlannedShift, TimeclockSettings
from timeclock.report import planned_vs_worked
from timeclock.selectors import worked_weeks

URL = "/manage/time/report/"


@pytest.fixture
def bar(hotel):
    return make_terminal(hotel, outlet_code="bar", outlet_name="Bar").outlet


def plan(hotel, user, outlet, day, start, end):
    return PlannedShift.objects.create(
        property=hotel,
        user=user,
        outlet=outlet,
        start=at(day, start, hotel),
        end=at(day, end, hotel),
    )


@pytest.fixture
def planned(hotel, waiter, bar, week):  # noqa: F811
    """W48's plan for the waiter: Mon 09–17 (came 09:00), Tue 08:30–17:00 (came 09:00: late),
    Wed 10–18 (came 10:00), Thu 09–17 (never came: missed) = 32 h 30."""
    plan(hotel, waiter, bar, 0, "09:00", "17:00")
    plan(hotel, waiter, bar, 1, "08:30", "17:00")
    plan(hotel, waiter, bar, 2, "10:00", "18:00")
    plan(hotel, waiter, bar, 3, "09:00", "17:00")


def test_the_hand_computed_week(hotel, waiter, planned):
    (row,) = planned_vs_worked(properties=[hotel], first_monday=MONDAY)
    assert row.user == waiter and row.week_label == "2026-W48"
    assert (row.h("planned"), row.h("worked"), row.h("difference"), row.h("overtime")) == (
        32.5,
        38.5,
        6,
        3.5,
    )
    assert (row.late, row.missed) == (1, 1)
    # a 45-minute grace: Tuesday's 30 minutes are no longer late
    TimeclockSettings.objects.create(property=hotel, late_after_minutes=45)
    (row,) = planned_vs_worked(properties=[hotel], first_monday=MONDAY)
    assert row.late == 0


def test_worked_hours_equal_the_payroll_over_several_weeks(hotel, waiter, planned, staff_of):
    bartender = staff_of(hotel, Role.BARTENDER)
    for day in range(5):  # 45 h, 10 h of overtime
        shift(hotel, bartender, at(day, "08:00", hotel), at(day, "17:00", hotel))
    rows = planned_vs_worked(properties=[hotel], first_monday=MONDAY, weeks=2)
    payroll = worked_weeks(property=hotel, first_monday=MONDAY, weeks=2)
    assert {(r.user.pk, r.week_start): r.worked for r in rows} == {
        (p.user.pk, p.week_start): p.worked for p in payroll
    }
    # the shift from Sunday 22:00 gives 2 h to W49, where nothing was planned
    w49 = next(r for r in rows if r.week_label == "2026-W49")
    assert (w49.h("worked"), w49.h("planned"), w49.h("difference")) == (2, 0, 2)
    b = next(r for r in rows if r.user == bartender)
    assert (b.h("overtime"), b.h("difference")) == (10, 45)


def test_the_query_count_does_not_grow(hotel, waiter, bar, planned, staff_of):
    sister = PropertyFactory(organization=hotel.organization, slug="soeur")

    def count():
        with CaptureQueriesContext(connection) as queries:
            planned_vs_worked(properties=[hotel, sister], first_monday=MONDAY, weeks=4)
        return len(queries)

    before = count()
    for n in range(6):
        person = staff_of(hotel)
        plan(hotel, person, bar, n % 7, "10:00", "18:00")
        shift(hotel, person, at(n % 7, "10:10", hotel), at(n % 7, "18:00", hotel))
    assert count() == before == 5


def test_the_screen_and_its_downloads(client, hotel, manager, waiter, planned):
    client.force_login(manager)
    page = client.get(URL, {"week": "2026-W48"}).content.decode()
    row = page.split('data-testid="report-les-tests-waiter-2026-W48"')[1].split("</tr>")[0]
    for value in ("32 h 30", "38 h 30", "+6 h 00", "3 h 30"):
        assert value in row
    text = client.get("/manage/time/report.csv", {"week": "2026-W48"}).content.decode()
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0][:4] == ["property", "employee_id", "employee", "week"]
    assert lines[1] == [
        "les-tests",
        str(waiter.pk),
        waiter.get_full_name(),
        "2026-W48",
        "32.50",
        "38.50",
        "6.00",
        "3.50",
        "1",
        "1",
    ]
    response = client.get("/manage/time/report.xlsx", {"week": "2026-W48"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = zipfile.ZipFile(io.BytesIO(response.content))
    assert "Planned hours" in book.read("xl/sharedStrings.xml").decode()
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>32.5</v>" in sheet and "<v>38.5</v>" in sheet and "<v>6</v>" in sheet
    assert client.get("/manage/time/report.pdf").status_code == 404
    for bad in ({"week": "nope"}, {"weeks": "9"}, {"weeks": "x"}):
        assert client.get(URL, bad).status_code == 400
        assert client.get("/manage/time/report.csv", bad).status_code == 400
    client.force_login(waiter)
    assert client.get(URL).status_code == 403
    assert client.get("/manage/time/report.csv").status_code == 403


def test_the_organisation_is_the_properties_the_manager_manages(
    client, hotel, other_hotel, manager, waiter, planned
):
    sister = PropertyFactory(organization=hotel.organization, slug="soeur", name="Soeur")
    served = PropertyFactory(organization=hotel.organization, slug="servie", name="Servie")
    Membership.objects.create(user=manager, property=sister, role=Role.MANAGER)
    Membership.objects.create(user=manager, property=served, role=Role.WAITER)
    for prop in (sister, served, other_hotel):
        person = make_staff(prop, Role.WAITER, username=f"w-{prop.slug}")
        shift(prop, person, at(1, "09:00", prop), at(1, "12:00", prop))
    client.force_login(manager)
    session = client.session
    session["active_property_id"] = hotel.pk  # the property chosen in the switcher
    session.save()
    page = client.get(URL, {"week": "2026-W48"}).content.decode()
    assert "report-les-tests-waiter" in page and "report-soeur" not in page
    page = client.get(URL, {"week": "2026-W48", "scope": "organization"}).content.decode()
    assert "report-les-tests-waiter" in page and "report-soeur-w-soeur-2026-W48" in page
    assert "report-servie" not in page and "report-ailleurs" not in page
    text = client.get(
        "/manage/time/report.csv", {"week": "2026-W48", "scope": "organization"}
    ).content.decode()
    assert [line.split(";")[0] for line in text.splitlines()[1:]] == ["les-tests", "soeur"]
