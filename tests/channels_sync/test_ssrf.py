"""SSRF: the import connects to the address it checked, never to a second DNS answer.

The edge of the world is faked here and only here: a resolver we control (socket.getaddrinfo)
and a router (socket.socket.connect) that sends the public address to a real HTTP server on
127.0.0.1, as the Internet would, and refuses any other public address.
"""

import socket
import ssl

import pytest
import trustme
from django.utils import translation
from django.utils.translation import gettext

from channels_sync.models import ChannelAlert, ChannelConnection
from channels_sync.services.imports import connection_create
from channels_sync.tasks import connection_pull_task
from pms.models import Reservation
from tests.channels_sync.feeds import FeedServer, airbnb, airbnb_reserved

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"  # a global unicast address


def french(message: str) -> str:
    with translation.override("fr"):
        return gettext(message)


class World:
    def __init__(self, monkeypatch):
        self.dns: dict[str, list[str]] = {}  # host -> successive answers (the last one sticks)
        self.routes: dict[tuple[str, int], tuple[str, int]] = {}
        self.connects: list[tuple[str, int]] = []
        real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

        def getaddrinfo(host, port, *args, **kwargs):
            answers = self.dns.get(host)
            if not answers:
                return real_getaddrinfo(host, port, *args, **kwargs)
            address = answers.pop(0) if len(answers) > 1 else answers[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 80))]

        def connect(sock, address):
            if isinstance(address, tuple) and address[0] == PUBLIC:
                self.connects.append(address[:2])
                if address[:2] not in self.routes:
                    raise ConnectionRefusedError("no route in the test world")
                return real_connect(sock, self.routes[address[:2]])
            return real_connect(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def world(monkeypatch):
    return World(monkeypatch)


@pytest.fixture
def public_server():
    server = FeedServer()
    yield server
    server.close()


def test_dns_rebinding_cannot_reach_a_local_server(
    hotel, room, day, world, feed_server, public_server
):
    # given an internal service on 127.0.0.1:P, and a host whose first DNS answer is public
    # and every later answer 127.0.0.1 (rebinding)
    internal_port = feed_server.port
    feed_server.serve("/feed.ics", airbnb(airbnb_reserved("internal", day(1), day(2))))
    public_server.serve("/feed.ics", airbnb(airbnb_reserved("ota", day(3), day(5))))
    world.dns["calendar.test"] = [PUBLIC, "127.0.0.1"]
    world.routes[(PUBLIC, internal_port)] = ("127.0.0.1", public_server.port)
    connection = connection_create(
        property=hotel,
        room=room("101"),
        kind="airbnb",
        url=f"http://calendar.test:{internal_port}/feed.ics",
    )

    # when the feed is pulled
    assert connection_pull_task(connection.pk) == "ok"

    # then the download went to the public address that was checked, with the feed's Host
    assert world.connects == [(PUBLIC, internal_port)]
    assert public_server.hits == ["/feed.ics"]
    assert public_server.hosts == [f"calendar.test:{internal_port}"]
    assert feed_server.hits == []  # the internal service was never reached
    assert list(Reservation.objects.values_list("arrival", "departure")) == [(day(3), day(5))]


def test_a_checked_address_that_refuses_fails_the_pull_without_falling_back(
    hotel, room, day, world, feed_server
):
    feed_server.serve("/feed.ics", airbnb(airbnb_reserved("internal", day(1), day(2))))
    world.dns["calendar.test"] = [PUBLIC, "127.0.0.1"]
    connection = connection_create(
        property=hotel,
        room=room("101"),
        kind="airbnb",
        url=f"http://calendar.test:{feed_server.port}/feed.ics",
    )

    assert connection_pull_task(connection.pk) == "failed"

    assert world.connects == [(PUBLIC, feed_server.port)]
    assert feed_server.hits == []
    assert not Reservation.objects.exists()
    assert ChannelAlert.objects.get(connection=connection).kind == "failed"


def test_a_redirect_to_a_private_address_is_refused(
    hotel, room, day, world, feed_server, public_server
):
    # the public server redirects to a name that resolves to 127.0.0.1
    feed_server.serve("/secret.ics", airbnb(airbnb_reserved("internal", day(1), day(2))))
    world.dns["calendar.test"] = [PUBLIC]
    world.dns["internal.test"] = ["127.0.0.1"]
    world.routes[(PUBLIC, 80)] = ("127.0.0.1", public_server.port)
    public_server.serve(
        "/feed.ics",
        b"",
        status=302,
        headers={"Location": f"http://internal.test:{feed_server.port}/secret.ics"},
    )
    connection = connection_create(
        property=hotel, room=room("101"), kind="airbnb", url="http://calendar.test/feed.ics"
    )

    assert connection_pull_task(connection.pk) == "failed"

    assert public_server.hits == ["/feed.ics"] and public_server.hosts == ["calendar.test"]
    assert feed_server.hits == []
    connection.refresh_from_db()
    assert connection.last_status == ChannelConnection.Status.FAILED
    # the manager reads it in the property's language (French here)
    assert connection.last_message == french(
        "The calendar address points to a private or local network."
    )
    assert not Reservation.objects.exists()


def test_a_redirect_to_another_public_host_is_followed_and_pinned(
    hotel, room, day, world, public_server
):
    public_server.serve("/feed.ics", b"", status=301, headers={"Location": "http://cdn.test/c.ics"})
    public_server.serve("/c.ics", airbnb(airbnb_reserved("ota", day(3), day(5))))
    world.dns["calendar.test"] = [PUBLIC]
    world.dns["cdn.test"] = [PUBLIC, "127.0.0.1"]
    world.routes[(PUBLIC, 80)] = ("127.0.0.1", public_server.port)
    connection = connection_create(
        property=hotel, room=room("101"), kind="airbnb", url="http://calendar.test/feed.ics"
    )

    assert connection_pull_task(connection.pk) == "ok"

    assert public_server.hits == ["/feed.ics", "/c.ics"]
    assert public_server.hosts == ["calendar.test", "cdn.test"]
    assert world.connects == [(PUBLIC, 80), (PUBLIC, 80)]


# --- HTTPS: the connection goes to the checked address, the certificate to the host name ---


@pytest.fixture
def authority():
    return trustme.CA()


def tls_server(authority, *names):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*names).configure_cert(context)
    return FeedServer(tls=context)


@pytest.fixture
def trusted(authority, settings, tmp_path):
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    settings.ICAL_CA_BUNDLE = str(bundle)


def test_https_to_the_pinned_address_checks_the_certificate_of_the_host_name(
    hotel, room, day, world, authority, trusted
):
    server = tls_server(authority, "calendar.test")
    try:
        server.serve("/feed.ics", airbnb(airbnb_reserved("ota", day(3), day(5))))
        world.dns["calendar.test"] = [PUBLIC, "127.0.0.1"]
        world.routes[(PUBLIC, 443)] = ("127.0.0.1", server.port)
        connection = connection_create(
            property=hotel, room=room("101"), kind="airbnb", url="https://calendar.test/feed.ics"
        )

        assert connection_pull_task(connection.pk) == "ok"

        assert world.connects == [(PUBLIC, 443)]
        assert server.hits == ["/feed.ics"] and server.hosts == ["calendar.test"]
        assert list(Reservation.objects.values_list("arrival", "departure")) == [(day(3), day(5))]
    finally:
        server.close()


def test_https_with_a_certificate_for_another_name_is_refused(
    hotel, room, day, world, authority, trusted
):
    # the checked address answers with a valid certificate, but not for the feed's host name
    server = tls_server(authority, "elsewhere.test")
    try:
        server.serve("/feed.ics", airbnb(airbnb_reserved("ota", day(3), day(5))))
        world.dns["calendar.test"] = [PUBLIC]
        world.routes[(PUBLIC, 443)] = ("127.0.0.1", server.port)
        connection = connection_create(
            property=hotel, room=room("101"), kind="airbnb", url="https://calendar.test/feed.ics"
        )

        assert connection_pull_task(connection.pk) == "failed"

        assert server.hits == []  # the TLS handshake failed before any request
        assert not Reservation.objects.exists()
        connection.refresh_from_db()
        assert connection.last_status == ChannelConnection.Status.FAILED
        assert connection.last_message == french(
            "The calendar could not be downloaded: %(error)s"
        ) % {"error": "SSLError"}
    finally:
        server.close()
