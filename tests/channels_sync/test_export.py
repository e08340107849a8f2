"""CH-1: the iCalendar feeds we publish (room and room type), their secret URLs, caching."""

from datetime import date

import icalendar
import pytest
import vobject
from django.urls import reverse

from channels_sync.models import ChannelFeed
from channels_sync.services.feeds import feed_create, feed_revoke, feed_rotate
from core.models import AuditEntry, Role
from pms.services import reservation_cancel, room_out_of_order
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


def url(feed):
    return reverse("channels_sync:feed_ics", kwargs={"token": feed.token})


def events_of(body: bytes):
    cal = icalendar.Calendar.from_ical(body)
    return {
        str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"]))
        for e in cal.walk("VEVENT")
    }


def test_room_feed_is_valid_rfc5545_with_reservations_and_out_of_order(
    client, hotel, room, book, day, guest
):
    # given a stay in room 101, one in 102, and 101 out of order later
    r101 = room("101")
    stay = book(r101, day(2), day(5))
    book(room("102"), day(3), day(4))
    ooo = room_out_of_order(room=r101, start=day(10), end=day(12), reason="Peinture")
    feed = feed_create(property=hotel, channel_name="airbnb", room=r101)

    # when the channel fetches the feed
    response = client.get(url(feed))

    # then it is an RFC 5545 calendar with one all-day event per busy period, nothing else
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert f"DTSTART;VALUE=DATE:{day(2):%Y%m%d}".encode() in body
    assert b"DTSTAMP:" in body
    events = events_of(body)
    assert events == {
        f"{stay.public_id}@auberge": (day(2), day(5), "Reserved"),
        f"ooo-{ooo.pk}@auberge": (day(10), day(12), "Not available"),
    }
    # no guest personal data
    for secret in (guest.last_name, guest.first_name, guest.email, stay.reference):
        assert secret.encode() not in body
    # a second, independent parser reads the same events
    parsed = vobject.readOne(body.decode())
    second = {
        v.uid.value: (v.dtstart.value, v.dtend.value, v.summary.value) for v in parsed.vevent_list
    }
    assert second == events
    assert all(type(v.dtstart.value) is date for v in parsed.vevent_list)


def test_room_type_feed_lists_unassigned_reservations_and_drops_cancelled(
    client, hotel, room, room_type, book, day
):
    classique = room_type("classique")
    kept = book(room("101"), day(1), day(3), assign=False)
    gone = book(room("102"), day(1), day(2), assign=False)
    reservation_cancel(reservation=gone)
    feed = feed_create(property=hotel, channel_name="booking", room_type=classique)

    events = events_of(client.get(url(feed)).content)

    assert events == {f"{kept.public_id}@auberge": (day(1), day(3), "Reserved")}


def test_etag_and_last_modified_give_304_until_the_calendar_changes(client, hotel, room, book, day):
    r101 = room("101")
    feed = feed_create(property=hotel, channel_name="airbnb", room=r101)
    first = client.get(url(feed))
    etag, modified = first["ETag"], first["Last-Modified"]

    assert client.get(url(feed), HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url(feed), HTTP_IF_MODIFIED_SINCE=modified).status_code == 304

    # when a reservation lands in the room, the version bumps and the feed is rebuilt
    stay = book(r101, day(1), day(2))
    again = client.get(url(feed), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert again["ETag"] != etag
    assert f"{stay.public_id}@auberge" in events_of(again.content)


def test_revoked_or_rotated_token_is_404(client, hotel, room):
    feed = feed_create(property=hotel, channel_name="vrbo", room=room("101"))
    old = url(feed)
    feed_rotate(feed=feed)
    feed.refresh_from_db()
    assert client.get(old).status_code == 404
    assert client.get(url(feed)).status_code == 200

    feed_revoke(feed=feed)

    assert client.get(url(feed)).status_code == 404
    assert client.get("/channels/ical/not-a-token.ics").status_code == 404
    assert AuditEntry.objects.filter(action="channels_sync.feed.revoked").count() == 1


def test_manager_screen_creates_rotates_and_revokes(client, hotel, manager, room, room_type):
    client.force_login(manager)
    response = client.post(
        reverse("channels_sync:feeds"),
        {"action": "create", "channel_name": "airbnb", "target": f"room:{room('101').pk}"},
    )
    assert response.status_code == 302
    feed = ChannelFeed.objects.get(property=hotel)
    token = feed.token
    page = client.get(reverse("channels_sync:feeds"))
    assert token in page.content.decode()

    client.post(reverse("channels_sync:feeds"), {"action": "rotate", "feed_id": feed.pk})
    feed.refresh_from_db()
    assert feed.token != token
    client.post(reverse("channels_sync:feeds"), {"action": "revoke", "feed_id": feed.pk})
    feed.refresh_from_db()
    assert feed.revoked_at is not None


def test_feed_screen_needs_manage_and_stays_in_its_property(
    client, hotel, other_hotel, room, staff_of
):
    clerk = make_staff(hotel, Role.FRONT_DESK, username="desk")
    client.force_login(clerk)
    assert client.get(reverse("channels_sync:feeds")).status_code == 403

    # a manager of another property cannot touch this property's feed
    feed = feed_create(property=hotel, channel_name="airbnb", room=room("101"))
    other = staff_of(other_hotel, Role.MANAGER, username="other-manager")
    client.force_login(other)
    response = client.post(reverse("channels_sync:feeds"), {"action": "revoke", "feed_id": feed.pk})
    assert response.status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is None


LONG_SUMMARIES = [
    "Réservé — chambre « Les Pins », petit-déjeuner; dîner, spa\\ et navette\nligne 2 " * 3,
    "é" * 80,  # two octets a character: a fold must never cut one in half
    "a" * 74 + "€€€" + "😀" * 30,  # 3- and 4-octet characters right at the fold
    "x" * 200,
]


def test_hand_written_folding_reads_back_in_both_parsers_as_icalendar_writes_it(day):
    from datetime import UTC, datetime

    from channels_sync.services.feeds import _Event, ical_document

    stamp = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    events = [
        _Event(f"uid-{i}-{'ü' * 40}@auberge", day(i), day(i + 2), summary)
        for i, summary in enumerate(LONG_SUMMARIES)
    ]
    body = ical_document(name="Hôtel « Été » — " + "Chambre ✓ " * 12, events=events, stamp=stamp)

    lines = body.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in body.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in lines)
    assert max(len(line) for line in lines) == 75  # folded as late as allowed
    for line in lines:
        line.decode("utf-8")  # each physical line is whole UTF-8: no character cut in half
    assert b"DTSTAMP:20261102T093000Z\r\n" in body

    expected = {e.uid: (e.start, e.end, e.summary.replace("\r\n", "\n")) for e in events}
    assert events_of(body) == expected
    parsed = vobject.readOne(body.decode())
    assert {
        v.uid.value: (v.dtstart.value, v.dtend.value, v.summary.value) for v in parsed.vevent_list
    } == expected
    assert parsed.x_wr_calname.value == "Hôtel « Été » — " + "Chambre ✓ " * 12

    # the icalendar library's own writer (our previous serializer) says the same thing
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Auberge//Channel calendar 1.0//EN")
    cal.add("version", "2.0")
    for e in events:
        vevent = icalendar.Event()
        vevent.add("uid", e.uid)
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", e.start)
        vevent.add("dtend", e.end)
        vevent.add("summary", e.summary)
        cal.add_component(vevent)
    old = icalendar.Calendar.from_ical(cal.to_ical())
    new = icalendar.Calendar.from_ical(body)
    for a, b in zip(old.walk("VEVENT"), new.walk("VEVENT"), strict=True):
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert a.decoded(prop) == b.decoded(prop)


def test_a_warm_conditional_get_reads_no_database(
    client, hotel, room, book, day, django_assert_max_num_queries
):
    r101 = room("101")
    book(r101, day(1), day(3))
    feed = feed_create(property=hotel, channel_name="airbnb", room=r101)
    etag = client.get(url(feed))["ETag"]

    with django_assert_max_num_queries(0):
        assert client.get(url(feed), HTTP_IF_NONE_MATCH=etag).status_code == 304
        assert client.get(url(feed)).status_code == 200


def test_a_cold_feed_is_built_in_a_few_queries(
    client, hotel, room, room_type, book, day, django_assert_max_num_queries
):
    for i in range(8):
        book(room("101"), day(2 * i), day(2 * i + 1), assign=False)
    feed = feed_create(property=hotel, channel_name="booking", room_type=room_type("classique"))

    # token, feed, imported blocks, stays, out of order, stop-sells (the rates calendar's)
    with django_assert_max_num_queries(6):
        body = client.get(url(feed)).content
    assert body.count(b"BEGIN:VEVENT") == 8
