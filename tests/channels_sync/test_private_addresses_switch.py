"""The `allow_private_addresses` switch of an iCal connection: off by default, set only by a
superuser in the admin (after the second factor), each change in the audit trail, and in no
staff form."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from channels_sync.models import ChannelConnection
from channels_sync.services.imports import connection_create, connection_private_addresses_set
from core.exceptions import PermissionDenied
from core.models import AuditEntry, Role
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db

URL = "https://calendar.example/ical/room-1.ics"


@pytest.fixture
def connection(hotel, room):
    return connection_create(property=hotel, room=room("101"), kind="airbnb", url=URL)


def verified_client(user) -> Client:
    """A password session that passed the second factor (django-otp's session key)."""
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def superuser(hotel):
    user = make_staff(hotel, Role.ADMIN, username="root")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_a_new_connection_refuses_private_addresses(connection):
    assert connection.allow_private_addresses is False


def test_a_superuser_switches_it_in_the_admin_and_it_is_audited(connection, superuser):
    client = verified_client(superuser)
    url = f"/admin/channels_sync/channelconnection/{connection.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="allow_private_addresses"' in page.content.decode()
    saved = client.post(url, {"allow_private_addresses": "on", "_save": "Save"})
    assert saved.status_code == 302
    connection.refresh_from_db()
    assert connection.allow_private_addresses is True
    entry = AuditEntry.objects.get(action="channels_sync.connection.private_addresses_allowed")
    assert entry.actor == superuser and entry.target_id == str(connection.pk)
    assert entry.data == {"allow_private_addresses": True, "url": URL}
    # and back off, audited again
    client.post(url, {"_save": "Save"})
    connection.refresh_from_db()
    assert connection.allow_private_addresses is False
    assert AuditEntry.objects.filter(
        action="channels_sync.connection.private_addresses_refused", actor=superuser
    ).exists()


def test_the_admin_changes_nothing_else_of_a_connection(connection, superuser):
    client = verified_client(superuser)
    url = f"/admin/channels_sync/channelconnection/{connection.pk}/change/"
    client.post(url, {"url": "http://127.0.0.1/", "is_active": "", "_save": "Save"})
    connection.refresh_from_db()
    assert connection.url == URL and connection.is_active
    assert not AuditEntry.objects.filter(action__contains="private_addresses").exists()


def test_an_admin_user_who_is_not_a_superuser_does_not_see_it(connection, hotel):
    user = make_staff(hotel, Role.ADMIN, username="deputy")
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__endswith="channelconnection"))
    client = verified_client(user)
    url = f"/admin/channels_sync/channelconnection/{connection.pk}/change/"
    assert client.get(url).status_code in (302, 403)
    client.post(url, {"allow_private_addresses": "on", "_save": "Save"})
    connection.refresh_from_db()
    assert connection.allow_private_addresses is False
    assert "channelconnection" not in client.get("/admin/").content.decode()


def test_the_service_refuses_anyone_but_a_superuser(connection, manager):
    with pytest.raises(PermissionDenied):
        connection_private_addresses_set(connection=connection, allowed=True, actor=manager)
    connection.refresh_from_db()
    assert connection.allow_private_addresses is False
    assert not AuditEntry.objects.filter(action__contains="private_addresses").exists()


def test_the_staff_screen_has_no_such_field_and_ignores_it(client, hotel, room, manager):
    client.force_login(manager)
    page = client.get("/channels/connections/").content.decode()
    assert "allow_private_addresses" not in page
    client.post(
        "/channels/connections/",
        {
            "room": room("101").pk,
            "kind": "airbnb",
            "url": URL,
            "allow_private_addresses": "on",
        },
    )
    assert ChannelConnection.objects.get(property=hotel).allow_private_addresses is False
