"""Issue 21: unclassified accommodation's tourist tax — a percentage (1-5 %) of the night's
price excl. VAT per occupant, capped (CGCT L2333-30, REFERENCE §4) — set on
/manage/tourist-tax/ and collected at check-out; a tariff that has not started can be
deleted from the screen, a started one cannot."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from billing.models import TouristTaxNight, TouristTaxRate
from billing.services.folios import folio_open
from billing.services.tourist_tax import tourist_tax_post
from core.models import AuditEntry, Property, Role
from inventory.models import Channel
from pms.models import Room, RoomAssignment
from pms.services import (
    RoomRequest,
    reservation_check_in,
    reservation_check_out,
    reservation_create,
)
from pms.services.stays import DepartureBalance
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db

UNCLASSIFIED = {
    "classification": "unclassified",
    "valid_from": "2026-01-01",
    "amount": "",
    "percent": "5",
    "cap": "2.00",
    "departmental_pct": "0",
    "regional_pct": "0",
    "commune": "Le Grand-Bornand",
}


@pytest.fixture
def boss(client, hotel):
    hotel.classification = Property.Classification.UNCLASSIFIED
    hotel.save()
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def test_the_percentage_tariff_set_on_screen_is_collected_per_the_reference_example(
    client, boss, hotel
):
    assert client.post(reverse("tourist_tax:new"), UNCLASSIFIED).status_code == 302
    rate = TouristTaxRate.objects.get(property=hotel)
    assert (rate.percent, rate.cap, rate.amount) == (D("5.00"), D("2.00"), D("0"))
    assert (
        AuditEntry.objects.get(action="billing.tourist_tax_rate.created").data["after"]["percent"]
        == "5.00"
    )
    client.cookies["django_language"] = "fr"
    page = client.get(reverse("tourist_tax:list")).content.decode()
    assert 'data-testid="tax-percent"' in page and "5 % du prix<br>2,00\u00a0€ au plus" in page

    # REFERENCE §4: 700 € a week for 4 people (2 minors) at 5 % -> 700/7/4 x 5 % = 1,25 €
    folio = folio_open(property=hotel, holder_name="Famille Martin")
    nights = [date(2026, 7, 4) + timedelta(days=i) for i in range(7)]
    rows = tourist_tax_post(
        folio=folio,
        source_prefix="t",
        nights=nights,
        adults=2,
        minors=2,
        night_prices_excl_vat={night: D("100") for night in nights},
    )
    assert [row.rate for row in rows] == [D("1.25")] * 7  # per adult and night
    assert sum(row.amount for row in rows) == D("17.50")  # 2 adults x 7 nights


def test_the_cap_and_the_additional_taxes_apply_to_the_percentage(hotel):
    hotel.classification = Property.Classification.UNCLASSIFIED
    hotel.save()
    TouristTaxRate.objects.create(
        property=hotel,
        classification="unclassified",
        valid_from=date(2026, 1, 1),
        amount=D("0"),
        percent=D("4"),
        cap=D("2.00"),
        departmental_pct=D("10"),
    )
    folio = folio_open(property=hotel, holder_name="M. Martin")
    night = date(2026, 8, 1)
    # 4 % of 300 € for 2 is 6,00 €: capped at 2,00 €, + 10 % departmental = 2,20 €
    (row,) = tourist_tax_post(
        folio=folio,
        source_prefix="t",
        nights=[night],
        adults=2,
        night_prices_excl_vat={night: D("300")},
    )
    assert (row.rate, row.amount) == (D("2.20"), D("4.40"))


def test_an_unclassified_check_out_pays_on_the_rooms_price_excl_vat(hotel, rooms, guest, day):
    hotel.classification = Property.Classification.UNCLASSIFIED
    hotel.save()
    TouristTaxRate.objects.create(
        property=hotel,
        classification="unclassified",
        valid_from=date(2020, 1, 1),
        amount=D("0"),
        percent=D("5"),
        cap=D("10.00"),
    )
    reservation = reservation_create(
        property=hotel,
        guest=guest,
        arrival=day(-1),
        departure=day(1),
        rooms=[RoomRequest(rooms["familiale"].pk, 2, 1)],
        channel=Channel.OTA,
    )
    rr = reservation.rooms.get()
    used = RoomAssignment.objects.values_list("room_id", flat=True)
    free = Room.objects.filter(room_type=rooms["familiale"]).exclude(pk__in=used).first()
    reservation_check_in(reservation=reservation, assignments={rr.pk: free.pk})
    reservation_check_out(
        reservation=reservation,
        open_balance=DepartureBalance(pay_method="card", pay_reference="TPE-1"),
    )
    nights = TouristTaxNight.objects.filter(property=hotel).order_by("night")
    assert nights.count() == 2
    for row in nights:
        price = D(rr.nightly_prices[row.night.isoformat()])
        excl_vat = price * 100 / (100 + rr.vat_rate)
        expected = min(excl_vat / 3 * D("0.05"), D("10")).quantize(D("0.01"))
        assert row.rate == expected and row.taxable_persons == 2  # the child is exempt


@pytest.mark.parametrize(
    "change, message",
    [
        ({"percent": "6"}, "entre 1 et 5"),
        ({"percent": "0.5"}, "entre 1 et 5"),
        ({"cap": ""}, "le pourcentage et le plafond"),
        ({"cap": "0"}, "supérieur à zéro"),
        ({"classification": "3", "amount": "1.50"}, "non classés"),
        ({"classification": "3", "percent": "", "cap": "", "amount": ""}, "par personne"),
    ],
)
def test_a_bad_percentage_tariff_is_refused_in_french_and_nothing_saved(
    client, boss, change, message
):
    client.cookies["django_language"] = "fr"
    response = client.post(reverse("tourist_tax:new"), {**UNCLASSIFIED, **change})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not TouristTaxRate.objects.exists() and not AuditEntry.objects.exists()


def test_a_future_tariff_is_deleted_a_started_one_is_refused(client, boss, hotel, other_hotel):
    today = hotel.business_date()
    future = TouristTaxRate.objects.create(
        property=hotel, classification="3", valid_from=today + timedelta(days=30), amount=D("2")
    )
    started = TouristTaxRate.objects.create(
        property=hotel, classification="3", valid_from=today, amount=D("1.50")
    )
    theirs = TouristTaxRate.objects.create(
        property=other_hotel,
        classification="3",
        valid_from=today + timedelta(days=30),
        amount=D("4"),
    )
    page = client.get(reverse("tourist_tax:edit", args=[future.pk])).content.decode()
    assert 'data-testid="form-delete"' in page
    started_page = client.get(reverse("tourist_tax:edit", args=[started.pk])).content.decode()
    assert 'data-testid="form-delete"' not in started_page

    client.cookies["django_language"] = "fr"
    response = client.post(reverse("tourist_tax:delete", args=[started.pk]), follow=True)
    assert "a déjà commencé : il ne peut pas être supprimé" in response.content.decode()
    assert TouristTaxRate.objects.filter(pk=started.pk).exists()
    assert client.post(reverse("tourist_tax:delete", args=[theirs.pk])).status_code == 404
    assert TouristTaxRate.objects.filter(pk=theirs.pk).exists()

    assert client.post(reverse("tourist_tax:delete", args=[future.pk])).status_code == 302
    assert not TouristTaxRate.objects.filter(pk=future.pk).exists()
    entry = AuditEntry.objects.get(action="billing.tourist_tax_rate.deleted")
    assert entry.actor == boss and entry.data["before"]["amount"] == "2.00"
    # a second tap finds it gone: back to the list, nothing else deleted
    assert client.post(reverse("tourist_tax:delete", args=[future.pk])).status_code == 302
    assert TouristTaxRate.objects.filter(property=hotel).count() == 1
