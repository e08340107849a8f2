"""iCalendar import (CH-2/3/4): pull an OTA feed and mirror its events as reservations.

Never lose a booking to a bad feed: an HTTP error, a timeout, bytes that are not a calendar,
an empty calendar or one missing more than half of the future events it had last time is
recorded as a failed/suspicious pull with an alert, and every existing block is kept.
A good feed is applied in one transaction: new UID -> reservation (channel "ota") assigned to
the connection's room; changed dates -> reservation_modify; a future UID gone -> cancelled.
An event that cannot be booked (sold out, room taken) becomes a conflict alert, never a
double booking.
"""

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import icalendar
import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from channels_sync.models import ChannelAlert, ChannelBlock, ChannelConnection, ChannelPull
from core.audit import audit_log
from core.exceptions import DomainError, InvalidInput, PermissionDenied
from core.models import Property
from core.net import UnsafeUrl, pinned_session, pinned_target, resolve_checked
from core.outbox import outbox_enqueue
from crm.services import guest_create
from inventory.models import Channel
from pms.models import Reservation, Room
from pms.services import (
    RoomRequest,
    reservation_cancel,
    reservation_create,
    reservation_modify,
    room_assign,
)

MAX_BYTES = 2 * 1024 * 1024
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10
TOTAL_SECONDS = 10
MAX_REDIRECTS = 3
MISSING_RATIO_LIMIT = 0.5
IGNORED_SUMMARIES = ("check-in", "check-out", "checkin", "checkout")


class FeedError(Exception):
    """The feed could not be fetched or read; nothing is applied."""

    def __init__(self, message: str, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.http_status = http_status


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    start: date
    end: date
    summary: str


# --- fetching --------------------------------------------------------------------------------


def check_url(url: str, *, allow_private: bool) -> str:
    """Resolve the host once and refuse anything but http(s) to a public address (unless
    private addresses are allowed). Returns the checked address the download must connect
    to: a second DNS answer (rebinding) is never asked for (core.net). Raises FeedError."""
    try:
        return resolve_checked(url, allow_private=allow_private)
    except UnsafeUrl as exc:
        if exc.reason == "scheme":
            raise FeedError(_("Only http and https calendar addresses are accepted."))
        if exc.reason == "unresolved":
            raise FeedError(_("The calendar host name does not resolve."))
        raise FeedError(_("The calendar address points to a private or local network."))


def _pinned_get(url: str, address: str) -> requests.Response:
    """GET `url` by connecting to `address` (the checked one), with the URL's Host header."""
    pinned, host_header = pinned_target(url, address)
    # certificates checked against the host name (SNI too), by the system's CAs or the
    # bundle the operator names (a company proxy's CA, say)
    with pinned_session(url, verify=settings.ICAL_CA_BUNDLE or True) as session:
        return session.get(
            pinned,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            stream=True,
            allow_redirects=False,
            headers={
                "Host": host_header,
                "User-Agent": "Auberge-iCal/1.0",
                "Accept": "text/calendar, */*",
            },
        )


def fetch_feed(url: str, *, allow_private: bool = False) -> tuple[bytes, int]:
    """Download a feed: http(s) only, public addresses only (checked at every redirect, and
    the connection made to the address checked), at most MAX_BYTES, at most ~TOTAL_SECONDS.
    Returns (body, http status). Raises FeedError."""
    deadline = time.monotonic() + TOTAL_SECONDS
    for _hop in range(MAX_REDIRECTS + 1):
        address = check_url(url, allow_private=allow_private)
        try:
            response = _pinned_get(url, address)
        except requests.Timeout:
            raise FeedError(_("The calendar server did not answer in time."))
        except requests.RequestException as exc:
            raise FeedError(
                _("The calendar could not be downloaded: %(error)s") % {"error": type(exc).__name__}
            )
        with response:
            if response.is_redirect and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status_code != 200:
                raise FeedError(
                    _("The calendar server answered HTTP %(status)s.")
                    % {"status": response.status_code},
                    http_status=response.status_code,
                )
            chunks, size = [], 0
            try:
                for chunk in response.iter_content(chunk_size=65536):
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise FeedError(_("The calendar is too large."), 200)
                    if time.monotonic() > deadline:
                        raise FeedError(_("The calendar server did not answer in time."), 200)
                    chunks.append(chunk)
            except requests.RequestException:
                raise FeedError(_("The calendar server did not answer in time."), 200)
            return b"".join(chunks), response.status_code
    raise FeedError(_("Too many redirects."))


# --- parsing ---------------------------------------------------------------------------------


def _as_date(value, tz) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz)
        return value.date()
    if isinstance(value, date):
        return value
    raise ValueError("not a date")


def parse_feed(raw: bytes, *, tz) -> list[FeedEvent]:
    """The bookable events of a feed (all-day dates, DTEND exclusive; DURATION understood;
    "Check-in"/"Check-out" marker events and cancelled events left out). Raises FeedError."""
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    if not text.upper().startswith("BEGIN:VCALENDAR"):
        raise FeedError(_("The download is not an iCalendar file."))
    try:
        cal = icalendar.Calendar.from_ical(text)
    except Exception:  # noqa: BLE001 - any parser failure means "not a calendar"
        raise FeedError(_("The calendar could not be read."))
    events: dict[str, FeedEvent] = {}
    for component in cal.walk("VEVENT"):
        uid = str(component.get("UID", "")).strip()[:500]
        summary = str(component.get("SUMMARY", "")).strip()[:200]
        status = str(component.get("STATUS", "")).strip().upper()
        if not uid or status == "CANCELLED":
            continue
        if summary.lower() in IGNORED_SUMMARIES:
            continue
        try:
            start = _as_date(component.decoded("DTSTART"), tz)
            if component.get("DTEND") is not None:
                end = _as_date(component.decoded("DTEND"), tz)
            elif component.get("DURATION") is not None:
                end = start + timedelta(days=max(1, component.decoded("DURATION").days))
            else:
                end = start + timedelta(days=1)
        except (KeyError, ValueError, TypeError):
            continue
        if end <= start:
            continue
        events[uid] = FeedEvent(uid=uid, start=start, end=end, summary=summary)
    return list(events.values())


# --- applying --------------------------------------------------------------------------------


def _alert(connection, pull, kind: str, message: str, uid: str = "") -> None:
    if (
        uid
        and ChannelAlert.objects.filter(
            connection=connection, uid=uid, kind=kind, resolved_at__isnull=True
        ).exists()
    ):
        return
    ChannelAlert.objects.create(
        property=connection.property,
        connection=connection,
        pull=pull,
        kind=kind,
        uid=uid[:500],
        message=message[:500],
    )
    audit_log(
        action=f"channels_sync.alert.{kind}",
        property=connection.property,
        target=connection,
        channel=Channel.OTA,
        data={"message": message[:500], "uid": uid[:200], "pull": pull.pk if pull else None},
    )


def _anonymous_guest(connection: ChannelConnection):
    if connection.guest_id is None:
        connection.guest = guest_create(
            organization=connection.property.organization,
            last_name=_("%(channel)s guest") % {"channel": connection.get_kind_display()},
            language=connection.property.default_language,
        )
        connection.save(update_fields=["guest", "updated_at"])
    return connection.guest


def _book(connection: ChannelConnection, event: FeedEvent) -> Reservation:
    room = Room.objects.select_related("room_type").get(pk=connection.room_id)
    reservation = reservation_create(
        property=connection.property,
        guest=_anonymous_guest(connection),
        arrival=event.start,
        departure=event.end,
        rooms=[RoomRequest(room_type_id=room.room_type_id, adults=1)],
        channel=Channel.OTA,
        external_reference=event.uid,
        notes=f"{connection.get_kind_display()}: {event.summary}"[:500],
        allow_past=True,
    )
    room_assign(reservation_room=reservation.rooms.get(), room=room)
    return reservation


def _apply(connection: ChannelConnection, pull: ChannelPull, events: list[FeedEvent]) -> None:
    today = connection.property.business_date()
    blocks = {b.uid: b for b in connection.blocks.select_for_update()}
    for event in events:
        block = blocks.get(event.uid)
        if block is not None and block.status == ChannelBlock.Status.ACTIVE:
            if (block.start, block.end) == (event.start, event.end):
                if block.summary != event.summary:
                    block.summary = event.summary
                    block.save(update_fields=["summary", "updated_at"])
                continue
            try:
                with transaction.atomic():
                    reservation_modify(
                        reservation=block.reservation, arrival=event.start, departure=event.end
                    )
                    block.start, block.end, block.summary = event.start, event.end, event.summary
                    block.save(update_fields=["start", "end", "summary", "updated_at"])
                pull.changed += 1
            except DomainError as exc:
                pull.conflicts += 1
                _alert(
                    connection,
                    pull,
                    ChannelAlert.Kind.CONFLICT,
                    _("%(start)s → %(end)s could not be moved: %(error)s")
                    % {"start": event.start, "end": event.end, "error": exc.message},
                    uid=f"{event.uid}:{event.start}:{event.end}",
                )
            continue
        if event.end <= today and block is None:
            continue  # history we never had: nothing to block
        _anonymous_guest(connection)  # outside the savepoint: kept when the booking fails
        try:
            with transaction.atomic():
                reservation = _book(connection, event)
                if block is None:
                    block = ChannelBlock(connection=connection, uid=event.uid)
                block.start, block.end, block.summary = event.start, event.end, event.summary
                block.status = ChannelBlock.Status.ACTIVE
                block.reservation = reservation
                block.save()
            pull.added += 1
        except DomainError as exc:
            pull.conflicts += 1
            if block is None:
                block = ChannelBlock(connection=connection, uid=event.uid)
            block.start, block.end, block.summary = event.start, event.end, event.summary
            block.status = ChannelBlock.Status.CONFLICT
            block.reservation = None
            block.save()
            _alert(
                connection,
                pull,
                ChannelAlert.Kind.CONFLICT,
                _("%(start)s → %(end)s from %(channel)s could not be booked: %(error)s")
                % {
                    "start": event.start,
                    "end": event.end,
                    "channel": connection.get_kind_display(),
                    "error": exc.message,
                },
                uid=f"{event.uid}:{event.start}:{event.end}",
            )
    present = {e.uid for e in events}
    for uid, block in blocks.items():
        if uid in present or block.status == ChannelBlock.Status.CANCELLED:
            continue
        if block.status == ChannelBlock.Status.CONFLICT:
            block.status = ChannelBlock.Status.CANCELLED
            block.save(update_fields=["status", "updated_at"])
            continue
        if block.end <= today or block.start < today:
            continue  # past or in progress: the stay stands
        try:
            with transaction.atomic():
                reservation_cancel(
                    reservation=block.reservation,
                    reason=_("Removed from the %(channel)s calendar.")
                    % {"channel": connection.get_kind_display()},
                )
                block.status = ChannelBlock.Status.CANCELLED
                block.save(update_fields=["status", "updated_at"])
            pull.removed += 1
        except DomainError as exc:
            _alert(connection, pull, ChannelAlert.Kind.CONFLICT, exc.message, uid=uid)


def _suspicious_reason(connection: ChannelConnection, events: list[FeedEvent]) -> str:
    today = connection.property.business_date()
    future = set(
        connection.blocks.filter(status=ChannelBlock.Status.ACTIVE, end__gt=today).values_list(
            "uid", flat=True
        )
    )
    if not future:
        return ""
    if not events:
        return _("The calendar is empty but %(count)s future bookings were in it last time.") % {
            "count": len(future)
        }
    missing = len(future - {e.uid for e in events})
    if missing / len(future) > MISSING_RATIO_LIMIT:
        return _("%(missing)s of the %(count)s future bookings vanished from the calendar.") % {
            "missing": missing,
            "count": len(future),
        }
    return ""


def connection_pull(*, connection: ChannelConnection) -> ChannelPull:
    """Download, check and apply one connection's feed; always returns the recorded pull.
    Messages and alerts are written in the property's language (the manager reads them)."""
    with translation.override(connection.property.default_language or settings.LANGUAGE_CODE):
        return _connection_pull(connection=connection)


def _connection_pull(*, connection: ChannelConnection) -> ChannelPull:
    started = timezone.now()
    pull = ChannelPull.objects.create(connection=connection, started_at=started)
    status, message = ChannelConnection.Status.OK, ""
    try:
        raw, pull.http_status = fetch_feed(
            connection.url, allow_private=connection.allow_private_addresses
        )
        pull.raw = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        events = parse_feed(raw, tz=connection.property.tz)
        pull.events = len(events)
    except FeedError as exc:
        status, message = ChannelConnection.Status.FAILED, exc.message
        pull.http_status = pull.http_status or exc.http_status
        events = None
    with transaction.atomic():
        connection = ChannelConnection.objects.select_for_update().get(pk=connection.pk)
        if events is not None:
            message = _suspicious_reason(connection, events)
            if message:
                status = ChannelConnection.Status.SUSPICIOUS
            else:
                _apply(connection, pull, events)
        if status != ChannelConnection.Status.OK:
            _alert(connection, pull, status, message)
        pull.status, pull.message = status, message[:500]
        pull.finished_at = timezone.now()
        pull.save()
        connection.last_pull_at = started
        connection.last_status = status
        connection.last_message = message[:500]
        if status == ChannelConnection.Status.OK:
            connection.last_success_at = started
        connection.next_pull_at = started + timedelta(minutes=connection.interval_minutes)
        connection.save()
        audit_log(
            action="channels_sync.connection.pulled",
            property=connection.property,
            target=connection,
            channel=Channel.OTA,
            data={
                "status": status,
                "events": pull.events,
                "added": pull.added,
                "changed": pull.changed,
                "removed": pull.removed,
                "conflicts": pull.conflicts,
            },
        )
    return pull


def connections_due(*, now: datetime | None = None):
    """Active connections never pulled or whose next pull time has come."""
    now = now or timezone.now()
    return ChannelConnection.objects.filter(is_active=True).filter(
        Q(next_pull_at__isnull=True) | Q(next_pull_at__lte=now)
    )


@transaction.atomic
def connection_sync_request(*, connection: ChannelConnection, actor=None) -> None:
    """ "Sync now": the pull is recorded in the outbox and published after commit (a broker
    down then delays it to the next outbox sweep; the click never fails)."""
    outbox_enqueue(
        task="channels_sync.tasks.connection_pull_task",
        kwargs={"connection_id": connection.pk},
        property=connection.property,
    )
    audit_log(
        action="channels_sync.connection.sync_requested",
        property=connection.property,
        actor=actor,
        target=connection,
    )


@transaction.atomic
def connection_create(
    *,
    property: Property,
    room: Room,
    kind: str,
    url: str,
    interval_minutes: int = 30,
    allow_private_addresses: bool = False,
    actor=None,
) -> ChannelConnection:
    """Import an OTA calendar into one room. Raises InvalidInput."""
    if room.property_id != property.pk:
        raise InvalidInput(_("Unknown room."))
    if kind not in ChannelConnection.Kind.values:
        raise InvalidInput(_("Unknown channel."), extra={"field": "kind"})
    url = (url or "").strip()
    if urlsplit(url).scheme not in ("http", "https") or len(url) > 1000:
        raise InvalidInput(_("Give an http or https calendar address."), extra={"field": "url"})
    if not 5 <= interval_minutes <= 24 * 60:
        raise InvalidInput(_("Pull between every 5 minutes and once a day."))
    connection = ChannelConnection.objects.create(
        property=property,
        room=room,
        kind=kind,
        url=url,
        interval_minutes=interval_minutes,
        allow_private_addresses=allow_private_addresses,
    )
    audit_log(
        action="channels_sync.connection.created",
        property=property,
        actor=actor,
        target=connection,
        data={"kind": kind, "room": room.number},
    )
    return connection


@transaction.atomic
def connection_private_addresses_set(
    *, connection: ChannelConnection, allowed: bool, actor
) -> ChannelConnection:
    """Let one connection's downloads reach private and loopback addresses (a feed served
    on the hotel's own network), or stop it. Only a superuser may (it lifts the SSRF guard
    of check_url for that connection); each change is in the audit trail.
    Raises: PermissionDenied for anyone else."""
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only a superuser may allow private addresses."))
    locked = ChannelConnection.objects.select_for_update(of=("self",)).get(pk=connection.pk)
    if locked.allow_private_addresses == allowed:
        return locked
    locked.allow_private_addresses = allowed
    locked.save(update_fields=["allow_private_addresses", "updated_at"])
    audit_log(
        action="channels_sync.connection.private_addresses_allowed"
        if allowed
        else "channels_sync.connection.private_addresses_refused",
        property=locked.property,
        actor=actor,
        target=locked,
        data={"allow_private_addresses": allowed, "url": locked.url},
    )
    return locked
