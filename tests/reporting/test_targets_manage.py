"""Issue 21: the manager sets the alert thresholds (/manage/alerts/settings/) and the months'
budgets (/manage/budgets/) on screen; the detectors and the dashboard read what he typed."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from core.formatting import money
from core.models import AuditEntry, Role
from reporting.models import AlertSettings, Budget
from reporting.periods import Period
from reporting.selectors import budget_for
from reporting.services import settings_for
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def test_thresholds_typed_on_screen_are_the_ones_the_detectors_read(client, boss, hotel):
    page = client.get(reverse("targets:alerts")).content.decode()
    assert "3.5" in page or "3,5" in page  # the defaults shown before any change
    data = {"basket_k": "4,5", "rate_factor": "2.5", "cash_threshold": "15"}
    assert client.post(reverse("targets:alerts"), data).status_code == 302
    current = settings_for(hotel)
    assert current.basket_k == Decimal("4.5") and current.cash_threshold == Decimal("15.00")
    entry = AuditEntry.objects.get(action="reporting.alert_settings.created")
    assert entry.actor == boss and entry.data["after"]["basket_k"] == "4.5"

    data["cash_threshold"] = "20"
    client.post(reverse("targets:alerts"), data)
    changed = AuditEntry.objects.get(action="reporting.alert_settings.changed")
    assert changed.data["before"] == {"cash_threshold": "15.00"}
    assert AlertSettings.objects.filter(property=hotel).count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"basket_k": "0.5"}, "1 ou plus"),
        ({"cash_threshold": "-1"}, "ne peut pas être négatif"),
        ({"rate_factor": "beaucoup"}, "saisissez un nombre"),
    ],
)
def test_bad_thresholds_are_refused_in_french_and_nothing_is_saved(client, boss, change, message):
    client.cookies["django_language"] = "fr"
    data = {"basket_k": "4", "rate_factor": "2", "cash_threshold": "10", **change}
    response = client.post(reverse("targets:alerts"), data)
    assert response.status_code == 422 and message in response.content.decode()
    assert not AlertSettings.objects.exists() and not AuditEntry.objects.exists()


def test_a_months_budget_typed_on_screen_reaches_the_dashboard(client, boss, hotel):
    data = {
        "month": "2027-07",
        "room_revenue": "31 000",
        "total_revenue": "45000,50",
        "occupancy": "82",
    }
    assert client.post(reverse("targets:budgets"), data).status_code == 302
    budget = Budget.objects.get(property=hotel)
    assert budget.month == date(2027, 7, 1) and budget.total_revenue == Decimal("45000.50")
    share = budget_for(
        properties=[hotel], period=Period(date(2027, 7, 1), date(2027, 7, 31)), available=0
    )
    assert share.room_revenue == Decimal("31000.00")
    page = client.get(reverse("targets:budgets")).content.decode()
    assert money(Decimal("45000.50")) in page and "Budgets" in page  # in the menu
    # the same month again changes it, audited before → after
    client.post(reverse("targets:budgets"), {**data, "occupancy": "85"})
    assert Budget.objects.get(property=hotel).occupancy == Decimal("85.00")
    changed = AuditEntry.objects.get(action="reporting.budget.changed")
    assert changed.data["before"] == {"occupancy": "82.00"}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"month": ""}, "Choisissez le mois"),
        ({"occupancy": "120"}, "entre 0 et 100"),
        ({"room_revenue": "-5"}, "ne peut pas être négatif"),
        ({"room_revenue": "90000"}, "ne peut pas être plus grand"),
    ],
)
def test_bad_budgets_are_refused_in_french_and_nothing_is_saved(client, boss, change, message):
    client.cookies["django_language"] = "fr"
    data = {"month": "2027-07", "room_revenue": "100", "total_revenue": "200", "occupancy": "50"}
    response = client.post(reverse("targets:budgets"), {**data, **change})
    assert response.status_code == 422 and message in response.content.decode()
    assert not Budget.objects.exists() and not AuditEntry.objects.exists()


def test_another_propertys_budget_never_shows_and_a_waiter_is_refused(
    client, boss, hotel, other_hotel
):
    Budget.objects.create(
        property=other_hotel,
        month=date(2027, 7, 1),
        room_revenue=Decimal("77777"),
        total_revenue=Decimal("88888"),
        occupancy=Decimal("50"),
    )
    page = client.get(reverse("targets:budgets"), {"month": "2027-07"}).content.decode()
    assert "77777" not in page and money(Decimal("88888")) not in page
    client.force_login(make_staff(hotel, Role.WAITER, username="w", pin="2222"))
    data = {"basket_k": "4", "rate_factor": "2", "cash_threshold": "10"}
    assert client.post(reverse("targets:alerts"), data).status_code in (302, 403)
    assert not AlertSettings.objects.exists()
