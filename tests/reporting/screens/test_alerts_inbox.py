"""The managers' inbox: scoped to the property, acknowledge with a note, bad input refused."""

import pytest

from inventory.models import CapacityBucket, CapacityPool
from reporting.models import Alert
from reporting.services import alerts_evaluate

URL = "/reporting/alerts/"


@pytest.fixture
def alert(hotel):
    pool = CapacityPool.objects.create(
        property=hotel, code="paniers", name="Paniers", kind="stock", reorder_point=3
    )
    CapacityBucket.objects.create(pool=pool, capacity=10, sold=9)
    (alert,) = alerts_evaluate(property=hotel)
    return alert


def test_the_manager_acknowledges_an_alert_with_a_note(client, manager, alert):
    client.force_login(manager)
    page = client.get(URL).content.decode()
    assert "Paniers: 1 left (reorder point 3)." in page
    response = client.post(f"{URL}{alert.pk}/acknowledge/", {"note": "Commandé"}, follow=True)
    assert "Alert acknowledged." in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == manager and alert.note == "Commandé"
    assert "Commandé" in client.get(URL).content.decode()


def test_a_too_long_note_is_refused_and_changes_nothing(client, manager, alert):
    client.force_login(manager)
    response = client.post(f"{URL}{alert.pk}/acknowledge/", {"note": "x" * 501}, follow=True)
    assert "A note has 500 characters at most." in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_another_property_cannot_see_or_acknowledge(client, other_hotel, staff_of, alert):
    from core.models import Role

    client.force_login(staff_of(other_hotel, Role.MANAGER))
    assert "Paniers" not in client.get(URL).content.decode()
    assert client.post(f"{URL}{alert.pk}/acknowledge/", {"note": ""}).status_code == 404
    assert Alert.objects.get(pk=alert.pk).acknowledged_at is None


def test_a_waiter_has_no_inbox(client, waiter, alert):
    client.force_login(waiter)
    assert client.get(URL).status_code == 403
