"""Issue 21: the manager chooses on screen where an outlet's sales take their ingredients
(the outlet's stock location) and what a sale below zero does (refuse, or sell and alert)."""

import pytest
from django.urls import reverse

from core.models import AuditEntry, Role
from inventory.models import StockLocation, StockSettings
from pos.models import Outlet
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def outlet_form(outlet, **change):
    data = {"code": outlet.code, "name": outlet.name, "kind": outlet.kind, "is_active": "on"}
    data.update(change)
    return data


def test_the_outlets_stock_location_is_chosen_on_its_form_and_audited(client, boss, hotel):
    bar = Outlet.objects.create(property=hotel, code="bar", name="Bar", kind="bar")
    cellar = StockLocation.objects.create(
        property=hotel, code="bar", name="Cave du bar", kind="bar"
    )
    page = client.get(reverse("outlets:outlet", args=[bar.pk])).content.decode()
    assert "Cave du bar" in page
    data = outlet_form(bar, stock_location=cellar.pk)
    assert client.post(reverse("outlets:outlet", args=[bar.pk]), data).status_code == 302
    bar.refresh_from_db()
    assert bar.stock_location == cellar
    entry = AuditEntry.objects.get(action="pos.outlet.changed")
    assert entry.data["before"] == {"stock_location": None}
    assert entry.data["after"] == {"stock_location": "Cave du bar"}


def test_another_propertys_or_an_inactive_location_is_refused(client, boss, hotel, other_hotel):
    bar = Outlet.objects.create(property=hotel, code="bar", name="Bar", kind="bar")
    theirs = StockLocation.objects.create(property=other_hotel, code="x", name="X", kind="bar")
    old = StockLocation.objects.create(
        property=hotel, code="old", name="Ancienne cave", kind="bar", is_active=False
    )
    client.cookies["django_language"] = "fr"
    url = reverse("outlets:outlet", args=[bar.pk])
    assert client.post(url, outlet_form(bar, stock_location=theirs.pk)).status_code == 422
    response = client.post(url, outlet_form(bar, stock_location=old.pk))
    assert response.status_code == 422 and "inactif" in response.content.decode()
    bar.refresh_from_db()
    assert bar.stock_location is None and not AuditEntry.objects.exists()


def test_the_below_zero_rule_is_set_on_the_locations_page(client, boss, hotel, other_hotel):
    page = client.get(reverse("stock:locations")).content.decode()
    assert 'value="0" checked' in page  # refuse the sale, the default
    assert client.post(reverse("stock:settings"), {"allow_negative": "1"}).status_code == 302
    assert StockSettings.objects.get(property=hotel).allow_negative
    assert not StockSettings.objects.filter(property=other_hotel).exists()
    assert 'value="1" checked' in client.get(reverse("stock:locations")).content.decode()
    entry = AuditEntry.objects.get(action="inventory.stock_settings.created")
    assert entry.actor == boss and entry.data["after"] == {"allow_negative": True}
    client.post(reverse("stock:settings"), {"allow_negative": "maybe"})
    assert StockSettings.objects.get(property=hotel).allow_negative

    client.force_login(make_staff(hotel, Role.WAITER, username="w", pin="2222"))
    assert client.post(reverse("stock:settings"), {"allow_negative": "0"}).status_code in (302, 403)
    assert StockSettings.objects.get(property=hotel).allow_negative
