"""iCalendar export (CH-1): one RFC 5545 feed per room or room type at a secret URL.

Events carry dates only ("Reserved" / "Not available"), never guest data. The body is cached
per feed under a per-property calendar version that pms/channels_sync signals bump whenever
reservations, assignments, out-of-order periods or imported blocks change.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import icalendar
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_sync.models import ChannelBlock, ChannelFeed
from core.audit import audit_log
from core.exceptions import InvalidInput
from core.models import Property
from pms.models import Reservation, ReservationRoom, Room, RoomAssignment, RoomOutOfOrder, RoomType

PRODID = "-//Auberge//Channel calendar 1.0//EN"
PAST_DAYS = 30
FUTURE_DAYS = 730
CACHE_SECONDS = 24 * 3600


def _version_key(property_id: int) -> str:
    return f"channels_sync:calver:{property_id}"


def calendar_version(*, property_id: int) -> float:
    """The calendar version of a property: a timestamp bumped on every change."""
    version = cache.get(_version_key(property_id))
    if version is None:
        version = time.time()
        cache.add(_version_key(property_id), version, None)
        version = cache.get(_version_key(property_id), version)
    return version


def calendar_version_bump(*, property_id: int) -> None:
    cache.set(_version_key(property_id), time.time(), None)


@dataclass(frozen=True)
class FeedBody:
    body: bytes
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class _Event:
    uid: str
    start: date
    end: date
    summary: str


def _imported_reservations(property: Property, exclude_kind: str) -> dict[int, ChannelBlock]:
    """Reservations created by an import: published as "Not available" under the block's UID;
    those imported from the feed's own channel are left out (no echo back to the OTA)."""
    blocks = ChannelBlock.objects.filter(
        connection__property=property, reservation__isnull=False
    ).select_related("connection")
    return {b.reservation_id: b for b in blocks if b.connection.kind != exclude_kind}


def _own_channel_reservations(property: Property, kind: str) -> set[int]:
    return set(
        ChannelBlock.objects.filter(
            connection__property=property, connection__kind=kind, reservation__isnull=False
        ).values_list("reservation_id", flat=True)
    )


def _window(property: Property) -> tuple[date, date]:
    today = property.business_date()
    return today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)


def _room_events(feed: ChannelFeed) -> list[_Event]:
    start, end = _window(feed.property)
    kind = feed.channel_name.strip().lower()
    imported = _imported_reservations(feed.property, kind)
    echo = _own_channel_reservations(feed.property, kind)
    assignments = (
        RoomAssignment.objects.filter(
            room_id=feed.room_id,
            released_at__isnull=True,
            end__gt=start,
            start__lt=end,
            reservation_room__is_cancelled=False,
            reservation_room__reservation__status__in=Reservation.ACTIVE_STATUSES,
        )
        .select_related("reservation_room__reservation")
        .order_by("start", "pk")
    )
    events: list[_Event] = []
    seen: set[str] = set()
    for a in assignments:
        reservation = a.reservation_room.reservation
        if reservation.pk in echo:
            continue
        block = imported.get(reservation.pk)
        base = str(block.public_id if block else reservation.public_id)
        uid = f"{base}@auberge"
        if uid in seen:
            uid = f"{base}-{a.start:%Y%m%d}@auberge"
        seen.add(uid)
        summary = "Not available" if block else "Reserved"
        events.append(_Event(uid, a.start, a.end, summary))
    events += _out_of_order_events(feed, start, end)
    return events


def _room_type_events(feed: ChannelFeed) -> list[_Event]:
    start, end = _window(feed.property)
    kind = feed.channel_name.strip().lower()
    imported = _imported_reservations(feed.property, kind)
    echo = _own_channel_reservations(feed.property, kind)
    rooms = (
        ReservationRoom.objects.filter(
            room_type_id=feed.room_type_id,
            is_cancelled=False,
            reservation__status__in=Reservation.ACTIVE_STATUSES,
            reservation__departure__gt=start,
            reservation__arrival__lt=end,
        )
        .select_related("reservation")
        .order_by("reservation__arrival", "pk")
    )
    events: list[_Event] = []
    seen: set[str] = set()
    for rr in rooms:
        reservation = rr.reservation
        if reservation.pk in echo:
            continue
        block = imported.get(reservation.pk)
        base = str(block.public_id if block else reservation.public_id)
        uid = f"{base}@auberge"
        if uid in seen:
            uid = f"{base}-{rr.pk}@auberge"
        seen.add(uid)
        summary = "Not available" if block else "Reserved"
        events.append(_Event(uid, reservation.arrival, reservation.departure, summary))
    events += _out_of_order_events(feed, start, end)
    return events


def _out_of_order_events(feed: ChannelFeed, start: date, end: date) -> list[_Event]:
    periods = RoomOutOfOrder.objects.filter(released_at__isnull=True, end__gt=start, start__lt=end)
    if feed.room_id:
        periods = periods.filter(room_id=feed.room_id)
    else:
        periods = periods.filter(room__room_type_id=feed.room_type_id)
    return [_Event(f"ooo-{p.pk}@auberge", p.start, p.end, "Not available") for p in periods]


def feed_calendar(*, feed: ChannelFeed, stamp: datetime | None = None) -> bytes:
    """The RFC 5545 document of a feed (CRLF line ends, folded lines, VALUE=DATE events)."""
    stamp = (stamp or timezone.now()).astimezone(UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{feed.property.name} - {feed.room or feed.room_type}")
    events = _room_events(feed) if feed.room_id else _room_type_events(feed)
    for e in sorted(events, key=lambda e: (e.start, e.uid)):
        vevent = icalendar.Event()
        vevent.add("uid", e.uid)
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", e.start)  # a date -> DTSTART;VALUE=DATE
        vevent.add("dtend", e.end)  # exclusive: the departure day
        vevent.add("summary", e.summary)
        vevent.add("transp", "OPAQUE")
        cal.add_component(vevent)
    return cal.to_ical()


def feed_body(*, feed: ChannelFeed) -> FeedBody:
    """The cached body of a feed for the property's current calendar version."""
    version = calendar_version(property_id=feed.property_id)
    key = f"channels_sync:feed:{feed.pk}:{feed.token}:{version}"
    cached = cache.get(key)
    if cached is None:
        modified = datetime.fromtimestamp(int(version), tz=UTC)
        body = feed_calendar(feed=feed, stamp=modified)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        cached = (body, etag, modified.timestamp())
        cache.set(key, cached, CACHE_SECONDS)
    body, etag, modified_ts = cached
    return FeedBody(body=body, etag=etag, last_modified=datetime.fromtimestamp(modified_ts, UTC))


def feed_for_token(*, token: str) -> ChannelFeed | None:
    """The live feed of a token (None when unknown or revoked)."""
    if not token or len(token) > 64:
        return None
    return (
        ChannelFeed.objects.select_related("property", "room", "room_type")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )


# --- management ------------------------------------------------------------------------------


@transaction.atomic
def feed_create(
    *,
    property: Property,
    channel_name: str,
    room: Room | None = None,
    room_type: RoomType | None = None,
    actor=None,
) -> ChannelFeed:
    """Publish the calendar of one room or one room type to a channel.
    Raises: InvalidInput (no/both targets, other property, empty channel name)."""
    channel_name = (channel_name or "").strip()[:50]
    if not channel_name:
        raise InvalidInput(_("Name the channel."), extra={"field": "channel_name"})
    if (room is None) == (room_type is None):
        raise InvalidInput(_("Choose a room or a room type."))
    target = room or room_type
    if target.property_id != property.pk:
        raise InvalidInput(_("Unknown room."))
    feed = ChannelFeed.objects.create(
        property=property, room=room, room_type=room_type, channel_name=channel_name
    )
    audit_log(
        action="channels_sync.feed.created",
        property=property,
        actor=actor,
        target=feed,
        data={"channel": channel_name, "target": str(target)},
    )
    return feed


@transaction.atomic
def feed_rotate(*, feed: ChannelFeed, actor=None) -> ChannelFeed:
    """Give a feed a new secret token: the old URL stops working at once."""
    feed = ChannelFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.revoked_at is not None:
        raise InvalidInput(_("This calendar link is revoked."))
    feed.token = ChannelFeed._meta.get_field("token").default()
    feed.save(update_fields=["token", "updated_at"])
    audit_log(action="channels_sync.feed.rotated", property=feed.property, actor=actor, target=feed)
    return feed


@transaction.atomic
def feed_revoke(*, feed: ChannelFeed, actor=None) -> ChannelFeed:
    """Stop publishing a feed (idempotent)."""
    feed = ChannelFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
        audit_log(
            action="channels_sync.feed.revoked", property=feed.property, actor=actor, target=feed
        )
    return feed


__all__ = [
    "calendar_version",
    "calendar_version_bump",
    "feed_body",
    "feed_calendar",
    "feed_create",
    "feed_for_token",
    "feed_revoke",
    "feed_rotate",
]
