"""Issue 21: the manager sets the loyalty programme's earn rules on /manage/loyalty/ and the
next sale earns what he typed; bad input saves nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEntry, Role
from crm.models import Guest, LoyaltyEarnRule, LoyaltyProgram
from crm.services.loyalty import points_for
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def test_earn_rules_typed_on_screen_are_what_a_sale_earns_and_are_audited(client, boss, hotel):
    data = {"is_active": "on", "point_value": "0,02", "rate_accommodation": "1", "rate_food": "2,5"}
    assert client.post(reverse("loyalty:settings"), data).status_code == 302
    guest = Guest.objects.create(organization=hotel.organization, last_name="Martin")
    spend = [("accommodation", Decimal(100)), ("food", Decimal(10)), ("services", Decimal(50))]
    assert points_for(guest=guest, spend=spend) == 125  # 100 × 1 + 10 × 2,5; services: none
    program = LoyaltyProgram.objects.get(organization=hotel.organization)
    assert program.point_value == Decimal("0.0200")
    entry = AuditEntry.objects.get(action="crm.loyalty_program.created")
    assert entry.actor == boss and entry.data["after"]["rule:food"] == "2.50"

    data.pop("rate_food")  # food no longer earns
    client.post(reverse("loyalty:settings"), data)
    assert not LoyaltyEarnRule.objects.filter(revenue_category="food").exists()
    changed = AuditEntry.objects.get(action="crm.loyalty_program.changed")
    assert changed.data["before"] == {"rule:food": "2.50"}
    assert changed.data["after"] == {"rule:food": None}
    assert "Loyalty" in client.get(reverse("loyalty:settings")).content.decode()  # menu


@pytest.mark.parametrize(
    "change, message",
    [
        ({"point_value": "0"}, "plus de 0"),
        ({"rate_food": "-1"}, "entre 0 et 100"),
        ({"rate_food": "beaucoup"}, "saisissez un nombre"),
        ({"rate_voucher": "5"}, ""),
    ],
)
def test_bad_rules_are_refused_in_french_and_nothing_is_saved(client, boss, hotel, change, message):
    client.cookies["django_language"] = "fr"
    data = {"is_active": "on", "point_value": "0.01", "rate_accommodation": "1", **change}
    response = client.post(reverse("loyalty:settings"), data)
    if change == {"rate_voucher": "5"}:  # not offered: ignored, vouchers never earn
        assert response.status_code == 302
        assert not LoyaltyEarnRule.objects.filter(revenue_category="voucher").exists()
        return
    assert response.status_code == 422 and message in response.content.decode()
    assert not LoyaltyProgram.objects.exists() and not AuditEntry.objects.exists()


def test_another_organisations_programme_is_untouched_and_a_waiter_is_refused(
    client, boss, hotel, other_hotel
):
    theirs = LoyaltyProgram.objects.create(
        organization=other_hotel.organization, point_value=Decimal("0.5")
    )
    client.post(reverse("loyalty:settings"), {"point_value": "0.01", "rate_accommodation": "1"})
    theirs.refresh_from_db()
    assert theirs.point_value == Decimal("0.5000") and not theirs.rules.exists()
    assert "0.5000" not in client.get(reverse("loyalty:settings")).content.decode()

    client.force_login(make_staff(hotel, Role.WAITER, username="w", pin="2222"))
    data = {"point_value": "9", "rate_accommodation": "50"}
    assert client.post(reverse("loyalty:settings"), data).status_code in (302, 403)
    assert LoyaltyProgram.objects.get(organization=hotel.organization).point_value == Decimal(
        "0.0100"
    )
