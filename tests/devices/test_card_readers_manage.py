"""Issue 21: the manager adds and changes the card terminals on /manage/outlets/, then picks
one on a terminal's form — the Django admin is no longer needed for them."""

import pytest
from django.urls import reverse

from core.models import AuditEntry, Role
from devices.models import CardReader
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db

NEW = {
    "name": "TPE bar",
    "protocol": "caisse_ap_ip",
    "host": "192.168.1.50",
    "port": "8888",
    "till_number": "01",
    "answer_timeout": "180",
    "is_active": "on",
}


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def test_a_card_terminal_is_added_listed_and_changed_with_its_audit(client, boss, hotel):
    assert client.post(reverse("outlets:card_reader_new"), NEW).status_code == 302
    reader = CardReader.objects.get(property=hotel)
    assert reader.host == "192.168.1.50" and reader.port == 8888
    page = client.get(reverse("outlets:list")).content.decode()
    assert "TPE bar" in page and "192.168.1.50:8888" in page
    assert "TPE bar" in client.get(reverse("outlets:terminal_new")).content.decode()
    url = reverse("outlets:card_reader", args=[reader.pk])
    assert client.post(url, {**NEW, "host": "192.168.1.51"}).status_code == 302
    changed = AuditEntry.objects.get(action="devices.card_reader.changed")
    assert changed.data["before"] == {"host": "192.168.1.50"}
    assert changed.actor == boss


@pytest.mark.parametrize(
    "change, message",
    [
        ({"host": " "}, "obligatoire"),
        ({"host": "192.168.1 50"}, "par exemple 192.168.1.50"),
        ({"port": "70000"}, ""),
        ({"till_number": "1"}, "2 chiffres"),
        ({"answer_timeout": "2"}, "entre 10 et 600"),
    ],
)
def test_bad_card_terminals_are_refused_in_french_and_nothing_is_saved(
    client, boss, change, message
):
    client.cookies["django_language"] = "fr"
    response = client.post(reverse("outlets:card_reader_new"), {**NEW, **change})
    assert response.status_code == 422 and message in response.content.decode()
    assert 'data-testid="form-error"' in response.content.decode()
    assert not CardReader.objects.exists() and not AuditEntry.objects.exists()


def test_another_propertys_card_terminal_is_a_404(client, boss, hotel, other_hotel):
    theirs = CardReader.objects.create(property=other_hotel, name="TPE ailleurs", host="10.0.0.9")
    url = reverse("outlets:card_reader", args=[theirs.pk])
    assert client.get(url).status_code == 404 and client.post(url, NEW).status_code == 404
    assert "TPE ailleurs" not in client.get(reverse("outlets:list")).content.decode()
    theirs.refresh_from_db()
    assert theirs.host == "10.0.0.9"
