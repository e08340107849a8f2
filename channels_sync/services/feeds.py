"""iCalendar export (CH-1): one RFC 5545 feed per room or room type at a secret URL.

Events carry dates only ("Reserved" / "Not available"), never guest data. The body is cached
per feed under a per-property calendar version that pms/channels_sync signals bump whenever
reservations, assignments, out-of-order periods or imported blocks change.
"""

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_sync.models import ChannelBlock, ChannelFeed
from core.audit import audit_log
from core.exceptions import InvalidInput
from core.models import Property
from inventory.models import Channel, StopSell
from pms.models import Reservation, ReservationRoom, Room, RoomAssignment, RoomOutOfOrder, RoomType

PRODID = "-//Auberge//Channel calendar 1.0//EN"
PAST_DAYS = 30
FUTURE_DAYS = 730
CACHE_SECONDS = 24 * 3600
TOKEN_CACHE_SECONDS = 3600
NEGATIVE_CACHE_SECONDS = 30


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
class FeedMeta:
    """What a conditional GET needs, without the body: a 304 never reads the calendar."""

    feed_id: int
    version: float
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class _Event:
    uid: str
    start: date
    end: date
    summary: str


# --- RFC 5545 writer --------------------------------------------------------------------------
# Written by hand: icalendar's serializer cost ~0.35 ms an event (791 ms for a 2,000-event feed
# served cold); these few lines follow RFC 5545 §3.1 (folding), §3.3.11 (TEXT), §3.3.4 (DATE).

_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n", "\r": ""})


def ical_text(value: str) -> str:
    """A TEXT value escaped (backslash, semicolon, comma, newline) per RFC 5545 §3.3.11."""
    return value.replace("\r\n", "\n").translate(_TEXT_ESCAPES)


def ical_fold(line: str) -> bytes:
    """One content line as UTF-8 octets, folded so that no line exceeds 75 octets (the CRLF
    and the leading space of a continuation excluded/included as RFC 5545 §3.1 says), never
    cutting a multibyte character in two."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return raw + b"\r\n"
    out, pos, limit = [], 0, 75
    while pos < len(raw):
        cut = min(pos + limit, len(raw))
        while cut < len(raw) and (raw[cut] & 0xC0) == 0x80:  # inside a UTF-8 sequence
            cut -= 1
        out.append(raw[pos:cut])
        pos, limit = cut, 74  # continuation lines start with one space
    return b"\r\n ".join(out) + b"\r\n"


def ical_document(*, name: str, events: list[_Event], stamp: datetime) -> bytes:
    """A PUBLISH calendar of all-day events: DTSTART/DTEND as VALUE=DATE, DTEND exclusive
    (the departure day), DTSTAMP in UTC, lines ending CRLF and folded."""
    dtstamp = stamp.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    parts = [
        b"BEGIN:VCALENDAR\r\n",
        b"VERSION:2.0\r\n",
        ical_fold(f"PRODID:{PRODID}"),
        b"CALSCALE:GREGORIAN\r\n",
        b"METHOD:PUBLISH\r\n",
        ical_fold(f"X-WR-CALNAME:{ical_text(name)}"),
    ]
    fold = ical_fold
    for e in sorted(events, key=lambda e: (e.start, e.uid)):
        parts.append(
            b"BEGIN:VEVENT\r\n"
            + fold(f"UID:{ical_text(e.uid)}")
            + f"DTSTAMP:{dtstamp}\r\n"
            f"DTSTART;VALUE=DATE:{e.start:%Y%m%d}\r\n"
            f"DTEND;VALUE=DATE:{e.end:%Y%m%d}\r\n".encode()
            + fold(f"SUMMARY:{ical_text(e.summary)}")
            + b"TRANSP:OPAQUE\r\nEND:VEVENT\r\n"
        )
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)


# --- what a feed publishes --------------------------------------------------------------------


def _imported(property_id: int, kind: str) -> tuple[dict[int, str], set[int]]:
    """Reservations created by an import: {reservation id: block public id} published as "Not
    available" under the block's UID, and the ids imported from the feed's own channel, which
    are left out (no echo back to the OTA). One query."""
    imported: dict[int, str] = {}
    echo: set[int] = set()
    rows = ChannelBlock.objects.filter(
        connection__property_id=property_id, reservation__isnull=False
    ).values_list("reservation_id", "public_id", "connection__kind")
    for reservation_id, public_id, block_kind in rows:
        if block_kind == kind:
            echo.add(reservation_id)
        else:
            imported[reservation_id] = str(public_id)
    return imported, echo


def _window(property: Property) -> tuple[date, date]:
    today = property.business_date()
    return today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)


def _events(rows, imported: dict[int, str], echo: set[int]) -> list[_Event]:
    """rows: (reservation id, reservation public id, start, end, row id) ordered by start."""
    events: list[_Event] = []
    seen: set[str] = set()
    for reservation_id, public_id, start, end, row_id in rows:
        if reservation_id in echo:
            continue
        block = imported.get(reservation_id)
        base = block or str(public_id)
        uid = f"{base}@auberge"
        if uid in seen:
            uid = f"{base}-{row_id}@auberge"
        seen.add(uid)
        events.append(_Event(uid, start, end, "Not available" if block else "Reserved"))
    return events


def _room_events(feed: ChannelFeed) -> list[_Event]:
    start, end = _window(feed.property)
    imported, echo = _imported(feed.property_id, feed.channel_name.strip().lower())
    rows = (
        RoomAssignment.objects.filter(
            room_id=feed.room_id,
            released_at__isnull=True,
            end__gt=start,
            start__lt=end,
            reservation_room__is_cancelled=False,
            reservation_room__reservation__status__in=Reservation.ACTIVE_STATUSES,
        )
        .order_by("start", "pk")
        .values_list(
            "reservation_room__reservation_id",
            "reservation_room__reservation__public_id",
            "start",
            "end",
        )
    )
    # a second assignment of one reservation (a room move) gets a stable, dated UID
    rows = [(r, p, s, e, f"{s:%Y%m%d}") for r, p, s, e in rows]
    return (
        _events(rows, imported, echo)
        + _out_of_order_events(feed, start, end)
        + _stop_sell_events(feed, start, end)
    )


def _room_type_events(feed: ChannelFeed) -> list[_Event]:
    start, end = _window(feed.property)
    imported, echo = _imported(feed.property_id, feed.channel_name.strip().lower())
    rows = (
        ReservationRoom.objects.filter(
            room_type_id=feed.room_type_id,
            is_cancelled=False,
            reservation__status__in=Reservation.ACTIVE_STATUSES,
            reservation__departure__gt=start,
            reservation__arrival__lt=end,
        )
        .order_by("reservation__arrival", "pk")
        .values_list(
            "reservation_id",
            "reservation__public_id",
            "reservation__arrival",
            "reservation__departure",
            "pk",
        )
    )
    return (
        _events(rows, imported, echo)
        + _out_of_order_events(feed, start, end)
        + _stop_sell_events(feed, start, end)
    )


def _stop_sell_events(feed: ChannelFeed, start: date, end: date) -> list[_Event]:
    """The days the rates calendar closed to OTAs, or to this feed's OTA ("Airbnb" matches a
    stop-sell on "airbnb"), published as "Not available" so the channel stops selling them.
    One query."""
    room_type_id = feed.room_type_id or feed.room.room_type_id
    # "Airbnb", "Booking.com", "Vrbo / Abritel": the OTA's code is the name's first word
    name = re.split(r"[^a-z0-9]+", feed.channel_name.strip().lower())[0]
    stops = StopSell.objects.filter(
        pool__products__room_type__id=room_type_id,
        channel=Channel.OTA,
        channel_name__in=["", name],
        end__gt=start,
        start__lt=end,
    ).values_list("pk", "start", "end")
    return [_Event(f"stop-{pk}@auberge", s, e, "Not available") for pk, s, e in stops]


def _out_of_order_events(feed: ChannelFeed, start: date, end: date) -> list[_Event]:
    periods = RoomOutOfOrder.objects.filter(released_at__isnull=True, end__gt=start, start__lt=end)
    if feed.room_id:
        periods = periods.filter(room_id=feed.room_id)
    else:
        periods = periods.filter(room__room_type_id=feed.room_type_id)
    return [
        _Event(f"ooo-{pk}@auberge", s, e, "Not available")
        for pk, s, e in periods.values_list("pk", "start", "end")
    ]


def feed_calendar(*, feed: ChannelFeed, stamp: datetime | None = None) -> bytes:
    """The RFC 5545 document of a feed (CRLF line ends, folded lines, VALUE=DATE events)."""
    stamp = (stamp or timezone.now()).astimezone(UTC).replace(microsecond=0)
    events = _room_events(feed) if feed.room_id else _room_type_events(feed)
    name = f"{feed.property.name} - {feed.room or feed.room_type}"
    return ical_document(name=name, events=events, stamp=stamp)


# --- serving: token -> feed -> (meta, body), all from the cache when warm ----------------------


def _token_key(token: str) -> str:
    return f"channels_sync:token:{token}"


def _meta_key(feed_id: int) -> str:
    return f"channels_sync:feedmeta:{feed_id}"


def _body_key(feed_id: int, version: float) -> str:
    return f"channels_sync:feedbody:{feed_id}:{version}"


def token_forget(*, token: str) -> None:
    """Drop a token from the cache now and after commit: a revoked or rotated URL is 404 at
    once (a reader between the two may have cached the pre-commit row)."""
    cache.delete(_token_key(token))
    transaction.on_commit(lambda: cache.delete(_token_key(token)))


def feed_id_for_token(*, token: str) -> tuple[int, int] | None:
    """(feed id, property id) of a live token, cached; None when unknown or revoked."""
    if not token or len(token) > 64:
        return None
    key = _token_key(token)
    cached = cache.get(key)
    if cached is not None:
        return tuple(cached) if cached else None
    row = (
        ChannelFeed.objects.filter(token=token, revoked_at__isnull=True)
        .values_list("pk", "property_id")
        .first()
    )
    cache.set(key, row or (), TOKEN_CACHE_SECONDS if row else NEGATIVE_CACHE_SECONDS)
    return row


def feed_meta(*, feed_id: int, property_id: int) -> FeedMeta:
    """The ETag/Last-Modified of a feed's current version: two cache reads when warm (version
    and meta in one round trip), the feed built only when the calendar changed."""
    version_key = _version_key(property_id)
    found = cache.get_many([version_key, _meta_key(feed_id)])
    version = found.get(version_key)
    meta = found.get(_meta_key(feed_id))
    if version is not None and meta is not None and meta[0] == version:
        return FeedMeta(feed_id, version, meta[1], datetime.fromtimestamp(meta[2], UTC))
    if version is None:
        version = calendar_version(property_id=property_id)
    return _build(feed_id, version)[0]


def _build(feed_id: int, version: float) -> tuple[FeedMeta, bytes]:
    feed = ChannelFeed.objects.select_related("property", "room", "room_type").get(pk=feed_id)
    modified = datetime.fromtimestamp(int(version), tz=UTC)
    body = feed_calendar(feed=feed, stamp=modified)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    cache.set_many(
        {
            _body_key(feed_id, version): body,
            _meta_key(feed_id): (version, etag, modified.timestamp()),
        },
        CACHE_SECONDS,
    )
    return FeedMeta(feed_id, version, etag, modified), body


def feed_body_for(*, meta: FeedMeta) -> tuple[FeedMeta, bytes]:
    """The body of the version `meta` describes, rebuilt if the cache lost it (the meta of
    the rebuilt body is returned: the calendar may have moved on between the two reads)."""
    body = cache.get(_body_key(meta.feed_id, meta.version))
    if body is None:
        return _build(meta.feed_id, meta.version)
    return meta, body


def feed_body(*, feed: ChannelFeed) -> FeedBody:
    """The cached body of a feed for the property's current calendar version."""
    meta, body = feed_body_for(meta=feed_meta(feed_id=feed.pk, property_id=feed.property_id))
    return FeedBody(body=body, etag=meta.etag, last_modified=meta.last_modified)


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
    token_forget(token=feed.token)
    feed.token = ChannelFeed._meta.get_field("token").default()
    feed.save(update_fields=["token", "updated_at"])
    audit_log(action="channels_sync.feed.rotated", property=feed.property, actor=actor, target=feed)
    return feed


@transaction.atomic
def feed_revoke(*, feed: ChannelFeed, actor=None) -> ChannelFeed:
    """Stop publishing a feed (idempotent)."""
    feed = ChannelFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.revoked_at is None:
        token_forget(token=feed.token)
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
    "feed_body_for",
    "feed_id_for_token",
    "feed_meta",
    "ical_document",
    "ical_fold",
    "ical_text",
    "token_forget",
    "feed_calendar",
    "feed_create",
    "feed_for_token",
    "feed_revoke",
    "feed_rotate",
]
