"""CH-2/3/4: importing OTA calendars through the real HTTP + Celery task path."""

import pytest

from channels_sync.models import ChannelAlert, ChannelBlock, ChannelConnection, ChannelPull
from channels_sync.services import imports
from channels_sync.services.imports import connection_create
from channels_sync.tasks import connection_pull_task, connections_pull_due_task
from core.models import AuditEntry
from pms.models import Reservation, RoomAssignment
from tests.channels_sync.feeds import (
    airbnb,
    airbnb_not_available,
    airbnb_reserved,
    booking,
    booking_closed,
    vrbo,
    vrbo_blocked,
    vrbo_reserved,
)

pytestmark = pytest.mark.django_db


def live(connection):
    return {
        b.uid: (b.start, b.end)
        for b in ChannelBlock.objects.filter(connection=connection, status="active")
    }


def booked(connection):
    """The nights held by live OTA reservations in the connection's room."""
    return sorted(
        (a.start, a.end)
        for a in RoomAssignment.objects.filter(
            room=connection.room,
            released_at__isnull=True,
            reservation_room__reservation__status="confirmed",
            reservation_room__reservation__channel="ota",
        )
    )


def snapshot(connection):
    return {
        "blocks": live(connection),
        "booked": booked(connection),
        "reservations": list(
            Reservation.objects.filter(channel="ota").values_list("pk", "status", "arrival")
        ),
    }


def test_airbnb_feed_creates_reservations_in_the_room(feed_server, connect, room, day):
    url = feed_server.serve(
        "/airbnb.ics",
        airbnb(
            airbnb_reserved("a1", day(2), day(5)),
            airbnb_not_available("nav", day(20), day(22)),
        ),
    )
    connection = connect(room("101"), url)

    status = connection_pull_task(connection.pk)

    assert status == "ok"
    assert live(connection) == {
        "a1@airbnb.com": (day(2), day(5)),
        "nav@airbnb.com": (day(20), day(22)),
    }
    assert booked(connection) == [(day(2), day(5)), (day(20), day(22))]
    reservation = Reservation.objects.get(external_reference="a1@airbnb.com")
    assert reservation.channel == "ota" and reservation.status == "confirmed"
    # named in the property's language (a French hotel): no personal data from the feed
    assert reservation.guest.last_name == "Client Airbnb"
    pull = ChannelPull.objects.get(connection=connection)
    assert (pull.status, pull.events, pull.added, pull.conflicts) == ("ok", 2, 2, 0)
    assert "BEGIN:VCALENDAR" in pull.raw
    connection.refresh_from_db()
    assert connection.last_status == "ok" and connection.last_success_at is not None
    assert connection.next_pull_at > connection.last_pull_at

    # pulling the same feed again changes nothing (upsert by UID)
    connection_pull_task(connection.pk)
    assert Reservation.objects.filter(channel="ota").count() == 2


def test_changed_dates_are_moved_and_missing_future_uids_cancelled(feed_server, connect, room, day):
    events = [airbnb_reserved(f"s{i}", day(2 + 5 * i), day(4 + 5 * i)) for i in range(3)]
    url = feed_server.serve("/a.ics", airbnb(*events))
    connection = connect(room("101"), url)
    connection_pull_task(connection.pk)
    cancelled = Reservation.objects.get(external_reference="s2@airbnb.com")

    # when s0 moves one day later and s2 disappears (one of three: not suspicious)
    feed_server.serve(
        "/a.ics",
        airbnb(airbnb_reserved("s0", day(3), day(5)), events[1]),
    )
    connection_pull_task(connection.pk)

    assert live(connection) == {
        "s0@airbnb.com": (day(3), day(5)),
        "s1@airbnb.com": (day(7), day(9)),
    }
    assert booked(connection) == [(day(3), day(5)), (day(7), day(9))]
    moved = Reservation.objects.get(external_reference="s0@airbnb.com")
    assert (moved.arrival, moved.departure) == (day(3), day(5))
    cancelled.refresh_from_db()
    assert cancelled.status == "cancelled"
    pull = ChannelPull.objects.filter(connection=connection).first()
    assert (pull.added, pull.changed, pull.removed) == (0, 1, 1)


def test_booking_and_vrbo_like_feeds(feed_server, connect, room, day):
    b = connect(
        room("102"),
        feed_server.serve("/b.ics", booking(booking_closed("bk-77", day(1), day(3)))),
        kind="booking",
    )
    v = connect(
        room("103"),
        feed_server.serve(
            "/v.ics",
            vrbo(vrbo_reserved("vr-1", day(4), 3), vrbo_blocked("vr-2", day(10), day(11))),
        ),
        kind="vrbo",
    )

    connection_pull_task(b.pk)
    connection_pull_task(v.pk)

    assert booked(b) == [(day(1), day(3))]
    assert booked(v) == [(day(4), day(7)), (day(10), day(11))]
    assert ChannelAlert.objects.count() == 0


def _five_stays(day):
    return [airbnb_reserved(f"f{i}", day(2 + 3 * i), day(4 + 3 * i)) for i in range(5)]


@pytest.mark.parametrize(
    "bad, status",
    [
        ("http500", "failed"),
        ("timeout", "failed"),
        ("garbage", "failed"),
        ("empty", "suspicious"),
        ("mostly_missing", "suspicious"),
    ],
)
def test_a_bad_feed_keeps_every_block_and_alerts(
    feed_server, connect, room, day, monkeypatch, bad, status
):
    # given five future Airbnb stays imported from a good pull
    stays = _five_stays(day)
    url = feed_server.serve("/a.ics", airbnb(*stays))
    connection = connect(room("101"), url)
    connection_pull_task(connection.pk)
    before = snapshot(connection)
    assert len(before["blocks"]) == 5

    # when the next download is bad
    if bad == "http500":
        feed_server.serve("/a.ics", b"Internal Server Error", status=500)
    elif bad == "timeout":
        monkeypatch.setattr(imports, "READ_TIMEOUT", 0.5)
        feed_server.serve("/a.ics", airbnb(), delay=2)
    elif bad == "garbage":
        feed_server.serve("/a.ics", bytes(range(256)) * 10)
    elif bad == "empty":
        feed_server.serve("/a.ics", airbnb())
    else:  # 4 of 5 future stays vanished (80 %)
        feed_server.serve("/a.ics", airbnb(stays[0]))
    result = connection_pull_task(connection.pk)

    # then nothing was cancelled or changed, and a human is told
    assert result == status
    assert snapshot(connection) == before
    connection.refresh_from_db()
    assert connection.last_status == status
    alert = ChannelAlert.objects.get(connection=connection)
    assert alert.kind == status
    assert AuditEntry.objects.filter(action=f"channels_sync.alert.{status}").count() == 1
    pull = ChannelPull.objects.filter(connection=connection).first()
    assert pull.status == status and pull.removed == 0


def test_a_conflicting_event_is_alerted_and_not_double_booked(
    feed_server, connect, room, book, day
):
    # given room 101 sold at the desk on days 2..4
    r101 = room("101")
    desk = book(r101, day(2), day(4))
    url = feed_server.serve("/a.ics", airbnb(airbnb_reserved("clash", day(3), day(6))))
    connection = connect(r101, url)

    connection_pull_task(connection.pk)

    assigned = RoomAssignment.objects.filter(room=r101, released_at__isnull=True)
    assert [a.reservation_room.reservation_id for a in assigned] == [desk.pk]
    assert not Reservation.objects.filter(channel="ota").exists()
    block = ChannelBlock.objects.get(connection=connection)
    assert block.status == "conflict" and block.reservation is None
    alert = ChannelAlert.objects.get(connection=connection)
    assert alert.kind == "conflict"
    pull = ChannelPull.objects.get(connection=connection)
    assert (pull.status, pull.conflicts, pull.added) == ("ok", 1, 0)

    # a second pull does not repeat the alert
    connection_pull_task(connection.pk)
    assert ChannelAlert.objects.filter(connection=connection).count() == 1


def test_a_loopback_url_is_refused_unless_allowed(feed_server, hotel, room, day):
    url = feed_server.serve("/a.ics", airbnb(airbnb_reserved("x", day(1), day(2))))
    connection = connection_create(property=hotel, room=room("101"), kind="airbnb", url=url)
    assert connection.allow_private_addresses is False

    assert connection_pull_task(connection.pk) == "failed"

    assert feed_server.hits == []
    assert not Reservation.objects.exists()
    connection.refresh_from_db()
    assert "réseau privé ou local" in connection.last_message  # the manager's French
    assert ChannelAlert.objects.get(connection=connection).kind == "failed"


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/a.ics", "http://169.254.169.254/latest"]
)
def test_check_url_refuses_other_schemes_and_link_local(url):
    with pytest.raises(imports.FeedError):
        imports.check_url(url, allow_private=False)


def test_beat_task_queues_due_connections(feed_server, connect, room, day, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        url = feed_server.serve("/a.ics", airbnb(airbnb_reserved("a", day(1), day(2))))
        connection = connect(room("101"), url)
        assert connections_pull_due_task() == 1
        connection.refresh_from_db()
        assert connection.last_status == "ok"
        # not due again until its interval elapsed
        assert connections_pull_due_task() == 0
    finally:
        app.conf.task_always_eager = False


def test_sync_log_screen_shows_the_pulls_and_alerts(
    client, manager, feed_server, connect, room, day, django_capture_on_commit_callbacks
):
    url = feed_server.serve("/a.ics", b"nope", status=500)
    connection = connect(room("101"), url)
    connection_pull_task(connection.pk)
    client.force_login(manager)

    page = client.get(f"/channels/connections/{connection.pk}/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "HTTP 500" in text and "Failed" in text
    listing = client.get("/channels/connections/")
    assert "HTTP 500" in listing.content.decode()

    feed_server.serve("/a.ics", airbnb(airbnb_reserved("a", day(1), day(2))))
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/channels/connections/{connection.pk}/sync/")
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.last_status == ChannelConnection.Status.OK
