"""Export -> import between two properties, a direct booking in our feed, and a real worker."""

import time

import icalendar
import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.db import connections, transaction
from django.urls import reverse
from kombu import pools

from channels_sync.models import ChannelPull
from channels_sync.services.feeds import feed_create
from channels_sync.tasks import connection_pull_task
from config.celery import app
from pms.models import Room, RoomAssignment
from pms.services import room_out_of_order
from tests.channels_sync.feeds import airbnb, airbnb_reserved


def nights_of(body: bytes):
    cal = icalendar.Calendar.from_ical(body)
    return sorted((e.decoded("DTSTART"), e.decoded("DTEND")) for e in cal.walk("VEVENT"))


def room_nights(room):
    return sorted(
        (a.start, a.end)
        for a in RoomAssignment.objects.filter(
            room=room,
            released_at__isnull=True,
            reservation_room__reservation__status__in=("option", "confirmed", "in_house"),
        )
    )


@pytest.fixture
def second_hotel(other_hotel):
    from inventory import demo
    from pms.demo import room_types_seed

    demo.seed({"property": other_hotel})
    room_types_seed(other_hotel)
    return other_hotel


@pytest.mark.django_db
def test_export_then_import_between_two_properties_keeps_the_nights(
    client, hotel, second_hotel, room, book, day, feed_server, connect, guest
):
    # given property A publishes room 101: two stays and an out-of-order period
    a101 = room("101")
    book(a101, day(2), day(5))
    book(a101, day(8), day(9))
    room_out_of_order(room=a101, start=day(15), end=day(17), reason="Travaux")
    a_feed = feed_create(property=hotel, channel_name="auberge-b", room=a101)
    exported = client.get(reverse("channels_sync:feed_ics", kwargs={"token": a_feed.token}))
    assert exported.status_code == 200

    # when property B imports it (through the real HTTP server) into its room 101
    b101 = Room.objects.get(property=second_hotel, number="101")
    url = feed_server.serve("/a-101.ics", exported.content)
    connection = connect(b101, url, kind="other", prop=second_hotel)
    assert connection_pull_task(connection.pk) == "ok"

    # then B's room holds exactly A's nights
    assert (
        room_nights(b101)
        == nights_of(exported.content)
        == [
            (day(2), day(5)),
            (day(8), day(9)),
            (day(15), day(17)),
        ]
    )

    # and a direct booking at B shows up in B's own feed next to the imported nights
    from crm.services import guest_create

    b_guest = guest_create(organization=second_hotel.organization, last_name="Durand")
    direct = book(b101, day(20), day(23), prop=second_hotel, who=b_guest)
    b_feed = feed_create(property=second_hotel, channel_name="airbnb", room=b101)
    body = client.get(reverse("channels_sync:feed_ics", kwargs={"token": b_feed.token})).content
    assert nights_of(body) == [
        (day(2), day(5)),
        (day(8), day(9)),
        (day(15), day(17)),
        (day(20), day(23)),
    ]
    assert f"{direct.public_id}@auberge".encode() in body
    assert b"Durand" not in body

    # but the feed published back to the same channel does not echo its own events
    echo = feed_create(property=second_hotel, channel_name="other", room=b101)
    body = client.get(reverse("channels_sync:feed_ics", kwargs={"token": echo.token})).content
    assert nights_of(body) == [(day(20), day(23))]


def _close_worker_connections(**kwargs):
    connections.close_all()


@pytest.fixture
def celery_worker():
    # tests/core/test_healthz force-closes the broker pool, which kombu keeps in a global
    # registry: start from fresh pools.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.control.purge()
    signals.task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING") as worker:
            yield worker
    finally:
        signals.task_postrun.disconnect(_close_worker_connections)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_pulls_a_connection(hotel, room, day, feed_server, connect, celery_worker):
    url = feed_server.serve("/w.ics", airbnb(airbnb_reserved("w1", day(3), day(6))))
    with transaction.atomic():
        connection = connect(room("101"), url)
        connection_pull_task.delay_on_commit(connection.pk)

    deadline = time.monotonic() + 30
    while (
        time.monotonic() < deadline
        and not ChannelPull.objects.filter(
            connection=connection, finished_at__isnull=False
        ).exists()
    ):
        time.sleep(0.2)

    pull = ChannelPull.objects.get(connection=connection)
    assert (pull.status, pull.added) == ("ok", 1)
    assert room_nights(room("101")) == [(day(3), day(6))]
