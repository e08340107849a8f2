"""Issue 21: the manager sets the tourist tax tariffs on /manage/tourist-tax/ — per
classification, from a date, the communal tariff and the additional taxes — and the next
check-out collects them; a tariff already collected is never rewritten."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import TouristTaxRate
from billing.services.folios import folio_open
from billing.services.tourist_tax import tourist_tax_post, tourist_tax_rate_for
from core.formatting import money
from core.models import AuditEntry, Property, Role
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db

NEW = {
    "classification": "3",
    "valid_from": "2026-01-01",
    "amount": "1.50",
    "departmental_pct": "10",
    "regional_pct": "0",
    "commune": "Annecy",
}


@pytest.fixture
def boss(client, hotel):
    hotel.classification = Property.Classification.STARS_3
    hotel.save()
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def test_a_tariff_added_on_screen_is_the_one_the_next_night_collects(client, boss, hotel):
    assert client.post(reverse("tourist_tax:new"), NEW).status_code == 302
    later = {**NEW, "valid_from": "2027-01-01", "amount": "1.80"}
    assert client.post(reverse("tourist_tax:new"), later).status_code == 302
    rate = tourist_tax_rate_for(property=hotel, night=date(2026, 6, 1))
    assert rate.amount == Decimal("1.50") and rate.commune == "Annecy"
    assert tourist_tax_rate_for(property=hotel, night=date(2027, 2, 1)).amount == Decimal("1.80")
    page = client.get(reverse("tourist_tax:list")).content.decode()
    # 1.50 + 10 % per person and night, and the first tariff ends the day before the next one
    assert money(Decimal("1.65")) in page
    assert "12/31/2026" in page or "31/12/2026" in page or "2026-12-31" in page
    entry = AuditEntry.objects.filter(action="billing.tourist_tax_rate.created").order_by("pk")[0]
    assert entry.actor == boss and entry.data["after"]["amount"] == "1.50"
    assert "Tourist tax" in page  # in the manager's menu


@pytest.mark.parametrize(
    "change, message",
    [
        ({"amount": "-1"}, "ne peut pas être négatif"),
        ({"amount": "1.505"}, ""),
        ({"regional_pct": "400"}, "plus de 300"),
        ({"valid_from": ""}, ""),
        ({"classification": "7"}, ""),
    ],
)
def test_bad_tariffs_are_refused_in_french_and_nothing_is_saved(client, boss, change, message):
    client.cookies["django_language"] = "fr"
    response = client.post(reverse("tourist_tax:new"), {**NEW, **change})
    assert response.status_code == 422
    assert 'data-testid="form-error"' in response.content.decode()
    assert message in response.content.decode()
    assert not TouristTaxRate.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="billing.tourist_tax").exists()


def test_two_tariffs_cannot_start_the_same_day(client, boss, hotel):
    client.post(reverse("tourist_tax:new"), NEW)
    response = client.post(reverse("tourist_tax:new"), {**NEW, "amount": "2"})
    assert response.status_code == 422 and "already starts on that day" in response.content.decode()
    assert TouristTaxRate.objects.get().amount == Decimal("1.50")


def test_a_tariff_is_changed_until_it_is_collected_then_refused(client, boss, hotel):
    client.post(reverse("tourist_tax:new"), NEW)
    rate = TouristTaxRate.objects.get()
    edit = {**NEW, "amount": "1.60"}
    assert client.post(reverse("tourist_tax:edit", args=[rate.pk]), edit).status_code == 302
    rate.refresh_from_db()
    assert rate.amount == Decimal("1.60")
    changed = AuditEntry.objects.get(action="billing.tourist_tax_rate.changed")
    assert changed.data["before"] == {"amount": "1.50"} and changed.data["after"] == {
        "amount": "1.60"
    }

    folio = folio_open(property=hotel, holder_name="M. Martin")
    tourist_tax_post(folio=folio, source_prefix="t", nights=[date(2026, 3, 1)], adults=2)
    response = client.post(reverse("tourist_tax:edit", args=[rate.pk]), {**NEW, "amount": "3"})
    assert response.status_code == 422
    assert "already been collected" in response.content.decode()
    rate.refresh_from_db()
    assert rate.amount == Decimal("1.60")


def test_another_propertys_tariff_is_a_404_and_a_receptionist_is_refused(
    client, boss, hotel, other_hotel
):
    theirs = TouristTaxRate.objects.create(
        property=other_hotel, classification="3", valid_from=date(2026, 1, 1), amount="4.44"
    )
    assert client.get(reverse("tourist_tax:edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("tourist_tax:edit", args=[theirs.pk]), NEW).status_code == 404
    assert money(Decimal("4.44")) not in client.get(reverse("tourist_tax:list")).content.decode()
    theirs.refresh_from_db()
    assert theirs.amount == Decimal("4.44")

    client.force_login(make_staff(hotel, Role.FRONT_DESK, username="r", pin="3333"))
    assert client.post(reverse("tourist_tax:new"), NEW).status_code in (302, 403)
    assert not TouristTaxRate.objects.filter(property=hotel).exists()
