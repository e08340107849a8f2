"""Issue 21: the manager changes his property's name, legal identity, contact, classification
and language on /manage/property/; the time zone, currency and business-day hour are shown
but refused, since they date every document already issued."""

import pytest
from django.urls import reverse

from core.models import AuditEntry, Property, Role
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def settings_of(hotel, **change):
    data = {
        "name": "Hôtel Les Pins",
        "legal_name": "SARL Les Pins",
        "siret": "732 829 320 00074",
        "vat_number": "fr44 732829320",
        "address_line": "1 route des Pins",
        "postal_code": "74000",
        "city": "Annecy",
        "country": "fr",
        "email": "contact@les-pins.fr",
        "phone": "04 50 00 00 00",
        "classification": "3",
        "default_language": "fr",
        "booking_frame_ancestors": "",
        "check_in_time": "15:00",
        "check_out_time": "11:00",
        "invoice_footer": "",
    }
    data.update(change)
    return data


def test_the_manager_changes_the_legal_identity_and_it_is_audited(client, boss, hotel):
    page = client.get(reverse("manage:property")).content.decode()
    assert "Europe/Paris" in page and "EUR" in page  # shown, not editable
    assert 'name="timezone"' not in page and "Property settings" in page  # in the menu

    response = client.post(reverse("manage:property"), settings_of(hotel))
    assert response.status_code == 302
    hotel.refresh_from_db()
    assert hotel.name == "Hôtel Les Pins" and hotel.siret == "73282932000074"
    assert hotel.vat_number == "FR44732829320" and hotel.country == "FR"
    assert hotel.classification == Property.Classification.STARS_3
    entry = AuditEntry.objects.get(action="core.property.changed")
    assert entry.actor == boss and entry.property == hotel
    assert entry.data["before"]["name"] == "Hôtel Les Tests"
    assert entry.data["after"]["name"] == "Hôtel Les Pins"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"timezone": "America/New_York"}, "ne peuvent pas être modifiés ici"),
        ({"currency": "USD"}, "ne peuvent pas être modifiés ici"),
        ({"business_day_roll_hour": "6"}, "ne peuvent pas être modifiés ici"),
        ({"siret": "123"}, "14 chiffres"),
        ({"legal_name": " "}, ""),
        ({"country": "France"}, ""),
        ({"booking_frame_ancestors": "pas une adresse"}, ""),
    ],
)
def test_unsafe_or_bad_changes_are_refused_in_french_and_nothing_is_saved(
    client, boss, hotel, change, message
):
    client.cookies["django_language"] = "fr"
    before = Property.objects.values().get(pk=hotel.pk)
    response = client.post(reverse("manage:property"), settings_of(hotel, **change))
    assert response.status_code == 422
    assert 'data-testid="form-error"' in response.content.decode()
    assert message in response.content.decode()
    assert Property.objects.values().get(pk=hotel.pk) == before
    assert not AuditEntry.objects.filter(action__startswith="core.property").exists()


def test_the_same_time_zone_posted_back_is_not_a_change(client, boss, hotel):
    data = settings_of(hotel, timezone="Europe/Paris", currency="EUR")
    assert client.post(reverse("manage:property"), data).status_code == 302


def test_each_manager_changes_his_own_property_only_and_a_waiter_is_refused(
    client, boss, hotel, other_hotel
):
    client.post(reverse("manage:property"), settings_of(hotel, name="Renamed"))
    other_hotel.refresh_from_db()
    assert other_hotel.name == "Hôtel Ailleurs"

    client.force_login(make_staff(hotel, Role.WAITER, username="w", pin="2222"))
    assert client.post(reverse("manage:property"), settings_of(hotel)).status_code in (302, 403)
    hotel.refresh_from_db()
    assert hotel.name == "Renamed"
