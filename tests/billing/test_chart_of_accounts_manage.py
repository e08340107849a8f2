"""Issue 21: the chart of accounts mapping of the exports is set on /manage/accounts/ (the
manager or the accountant), no longer in the Django admin; the next export reads it."""

import pytest
from django.urls import reverse

from billing.models import AccountingAccount
from billing.services.accounting import DEFAULT_ACCOUNTS, ChartOfAccounts
from core.models import AuditEntry, Role
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


def form(**change):
    data = {}
    for key, (number, label) in DEFAULT_ACCOUNTS.items():
        data[f"number:{key}"], data[f"label:{key}"] = number, label
    data.update(change)
    return data


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def test_an_account_changed_on_screen_is_the_one_the_export_writes(client, boss, hotel):
    data = form(**{"number:revenue:food": "706310", "label:revenue:food": "Restaurant"})
    assert client.post(reverse("chart:edit"), data).status_code == 302
    assert ChartOfAccounts(hotel).revenue("food") == ("706310", "Restaurant")
    assert ChartOfAccounts(hotel).revenue("drinks") == DEFAULT_ACCOUNTS["revenue:drinks"]
    assert AccountingAccount.objects.filter(property=hotel).count() == 1
    entry = AuditEntry.objects.get(action="billing.chart.changed")
    assert entry.data["before"] == {"revenue:food": "706300 Prestations restauration"}
    assert entry.data["after"] == {"revenue:food": "706310 Restaurant"}
    assert "Chart of accounts" in client.get(reverse("chart:edit")).content.decode()

    # typed back to the default (or emptied): the override goes
    assert (
        client.post(reverse("chart:edit"), form(**{"number:revenue:food": ""})).status_code == 302
    )
    assert not AccountingAccount.objects.filter(property=hotel).exists()


@pytest.mark.parametrize("number", ["70", "706-10", "abc123"])
def test_a_bad_account_is_refused_in_french_and_nothing_is_saved(client, boss, hotel, number):
    client.cookies["django_language"] = "fr"
    data = form(**{"number:revenue:food": number, "number:revenue:drinks": "707110"})
    response = client.post(reverse("chart:edit"), data)
    assert response.status_code == 422
    assert "commence par 3 chiffres" in response.content.decode()
    assert not AccountingAccount.objects.exists() and not AuditEntry.objects.exists()


def test_each_property_keeps_its_own_chart_and_a_waiter_is_refused(
    client, boss, hotel, other_hotel
):
    AccountingAccount.objects.create(
        property=other_hotel, key="revenue:food", number="706999", label="Ailleurs"
    )
    assert "706999" not in client.get(reverse("chart:edit")).content.decode()
    client.post(reverse("chart:edit"), form(**{"number:revenue:food": "706310"}))
    assert ChartOfAccounts(other_hotel).revenue("food") == ("706999", "Ailleurs")
    client.force_login(make_staff(hotel, Role.WAITER, username="w", pin="2222"))
    data = form(**{"number:revenue:food": "706000"})
    assert client.post(reverse("chart:edit"), data).status_code in (302, 403)
    assert AccountingAccount.objects.get(property=hotel).number == "706310"
