"""Issue 21: the time clock's settings (legal week, forgotten shift, late clock-in, pooled
tips) on /manage/time/settings/, audited, not only in the Django admin."""

import pytest
from django.urls import reverse

from core.models import AuditEntry, Role
from tests.factories.core import make_staff
from timeclock.models import TimeclockSettings
from timeclock.selectors import settings_of

pytestmark = pytest.mark.django_db

FORM = {
    "weekly_hours": "39",
    "forgotten_after_hours": "10",
    "clock_out_margin_minutes": "45",
    "late_after_minutes": "10",
    "tips_pooled": "on",
}


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def test_the_manager_sets_the_time_clock_rules_and_the_change_is_audited(client, boss, hotel):
    page = client.get(reverse("timeclock:settings")).content.decode()
    assert 'name="weekly_hours"' in page and 'value="35"' in page
    assert "Time clock settings" in page  # in the menu

    assert client.post(reverse("timeclock:settings"), FORM).status_code == 302
    row = settings_of(hotel)
    assert (row.weekly_hours, row.forgotten_after_hours, row.tips_pooled) == (39, 10, True)
    assert (row.clock_out_margin_minutes, row.late_after_minutes) == (45, 10)
    entry = AuditEntry.objects.get(action="timeclock.settings.changed")
    assert entry.actor == boss and entry.data["before"]["weekly_hours"] == 35
    assert entry.data["after"]["weekly_hours"] == 39

    client.post(reverse("timeclock:settings"), {**FORM, "tips_pooled": ""})
    assert not settings_of(hotel).tips_pooled
    assert "timeclock.settings.changed" in client.get(reverse("manage:history")).content.decode()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"weekly_hours": "60"}, "entre 1 et 48 heures"),
        ({"forgotten_after_hours": "0"}, "1 à 24 heures"),
        ({"late_after_minutes": "500"}, "0 à 120 minutes"),
        ({"clock_out_margin_minutes": "abc"}, ""),
    ],
)
def test_bad_settings_are_refused_in_french_and_nothing_saved(client, boss, hotel, change, message):
    client.cookies["django_language"] = "fr"
    response = client.post(reverse("timeclock:settings"), {**FORM, **change})
    assert response.status_code == 422
    assert 'data-testid="form-error"' in response.content.decode() and message in (
        response.content.decode()
    )
    assert settings_of(hotel).weekly_hours == 35
    assert not AuditEntry.objects.filter(action__startswith="timeclock.settings").exists()


def test_each_manager_sets_his_own_property_and_a_waiter_is_refused(
    client, boss, hotel, other_hotel
):
    client.post(reverse("timeclock:settings"), FORM)
    assert not TimeclockSettings.objects.filter(property=other_hotel, weekly_hours=39).exists()
    client.force_login(make_staff(hotel, Role.WAITER, username="w", pin="2222"))
    response = client.post(reverse("timeclock:settings"), {**FORM, "weekly_hours": "20"})
    assert response.status_code in (302, 403)
    assert settings_of(hotel).weekly_hours == 39
