"""Channel sync screens (manager) and the public iCalendar feed URL."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from channels_sync.models import ChannelAlert, ChannelConnection, ChannelFeed
from channels_sync.services import feeds
from core.exceptions import DomainError
from core.scoping import capability_required, get_scoped_or_404, scope
from pms.models import Room, RoomType


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """GET /channels/ical/<token>.ics: the calendar (304 when the client's copy is current).

    OTAs poll this URL often: a warm conditional GET is two cache round trips (token -> feed,
    then calendar version + ETag together) and no database query; the body is read only when
    it is sent."""
    found = feeds.feed_id_for_token(token=token)
    if found is None:
        raise Http404
    meta = feeds.feed_meta(feed_id=found[0], property_id=found[1])
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        not_modified = "*" in tags or meta.etag in tags or f"W/{meta.etag}" in tags
    else:
        since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
        not_modified = since is not None and int(meta.last_modified.timestamp()) <= since
    if not_modified:
        response = HttpResponseNotModified()
    else:
        meta, body = feeds.feed_body_for(meta=meta)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response["ETag"] = meta.etag
    response["Last-Modified"] = http_date(meta.last_modified.timestamp())
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    response["X-Robots-Tag"] = "noindex"
    return response


@capability_required("manage")
def feed_list(request: HttpRequest) -> HttpResponse:
    """The published calendars of the property: create, rotate, revoke."""
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "create":
                target = request.POST.get("target", "")
                kind, _sep, pk = target.partition(":")
                room = room_type = None
                if kind == "room":
                    room = get_scoped_or_404(Room.objects.all(), request, pk=_int(pk))
                elif kind == "type":
                    room_type = get_scoped_or_404(RoomType.objects.all(), request, pk=_int(pk))
                feeds.feed_create(
                    property=request.property,
                    channel_name=request.POST.get("channel_name", ""),
                    room=room,
                    room_type=room_type,
                    actor=request.user,
                )
                messages.success(request, _("Calendar link created."))
            elif action in ("rotate", "revoke"):
                feed = get_scoped_or_404(
                    ChannelFeed.objects.all(), request, pk=_int(request.POST.get("feed_id"))
                )
                if action == "rotate":
                    feeds.feed_rotate(feed=feed, actor=request.user)
                    messages.success(request, _("New link generated: the old one no longer works."))
                else:
                    feeds.feed_revoke(feed=feed, actor=request.user)
                    messages.success(request, _("Calendar link revoked."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("channels_sync:feeds")
    items = scope(ChannelFeed.objects.select_related("room", "room_type"), request)
    rows = [
        {
            "feed": f,
            "url": request.build_absolute_uri(
                reverse("channels_sync:feed_ics", kwargs={"token": f.token})
            ),
        }
        for f in items
    ]
    return render(
        request,
        "channels_sync/feeds.html",
        {
            "rows": rows,
            "rooms": scope(Room.objects.filter(is_active=True), request),
            "room_types": scope(RoomType.objects.all(), request),
        },
    )


@capability_required("manage")
def connection_list(request: HttpRequest) -> HttpResponse:
    """Imported OTA calendars: add one, see their last pull."""
    from channels_sync.services import imports

    if request.method == "POST":
        try:
            room = get_scoped_or_404(Room.objects.all(), request, pk=_int(request.POST.get("room")))
            connection = imports.connection_create(
                property=request.property,
                room=room,
                kind=request.POST.get("kind", ""),
                url=request.POST.get("url", ""),
                interval_minutes=_int(request.POST.get("interval_minutes")) or 30,
                actor=request.user,
            )
            return redirect("channels_sync:connection_detail", pk=connection.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "channels_sync/connections.html",
        {
            "connections": scope(ChannelConnection.objects.select_related("room"), request),
            "rooms": scope(Room.objects.filter(is_active=True), request),
            "kinds": ChannelConnection.Kind.choices,
            "alerts": scope(ChannelAlert.objects.filter(resolved_at__isnull=True), request)[:50],
        },
    )


@never_cache
@capability_required("manage")
def connection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The sync log of one connection: pulls, blocks, alerts, and "sync now"."""
    connection = get_scoped_or_404(ChannelConnection.objects.select_related("room"), request, pk=pk)
    return render(
        request,
        "channels_sync/connection_detail.html",
        {
            "connection": connection,
            "pulls": connection.pulls.all()[:30],
            "blocks": connection.blocks.select_related("reservation").filter(
                end__gte=request.property.business_date()
            ),
            "alerts": connection.alerts.all()[:50],
            "now": timezone.now(),
        },
    )


@require_POST
@capability_required("manage")
def connection_sync_now(request: HttpRequest, pk: int) -> HttpResponse:
    from channels_sync.services.imports import connection_sync_request

    connection = get_scoped_or_404(ChannelConnection.objects.all(), request, pk=pk)
    connection_sync_request(connection=connection, actor=request.user)
    messages.success(request, _("Synchronisation queued."))
    return redirect("channels_sync:connection_detail", pk=connection.pk)
