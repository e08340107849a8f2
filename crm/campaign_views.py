"""The public ends of a campaign e-mail: unsubscribe, open pixel, tracked click. No login:
each is reached with a signed token only (crm.services.campaigns.link_read)."""

import base64
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import NotFound
from crm.services.bounces import SIGNATURE_HEADER, BounceRefused, bounce_record, bounce_verify
from crm.services.campaigns import (
    link_read,
    recipient_clicked,
    recipient_opened,
    recipient_unsubscribe,
)

logger = logging.getLogger(__name__)
MAX_BOUNCE_BODY = 64 * 1024
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


# RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to this URL without cookies,
# so no CSRF token can be sent; the signed token in the URL is what authorises it.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button (a link scanner must not unsubscribe anyone); POST
    unsubscribes: the button, or the mail client's one-click."""
    try:
        recipient, _url = link_read(token)
    except NotFound:
        return render(request, "crm/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        recipient_unsubscribe(token=token)
        return render(request, "crm/unsubscribe.html", {"done": True, "recipient": recipient})
    return render(request, "crm/unsubscribe.html", {"recipient": recipient, "token": token})


@never_cache
@require_GET
def opened(request: HttpRequest, token: str) -> HttpResponse:
    """The tracking pixel: a 1×1 GIF whatever the token (a forged one records nothing)."""
    try:
        recipient_opened(token=token)
    except NotFound:
        pass
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
def clicked(request: HttpRequest, token: str) -> HttpResponse:
    """A tracked link: only to the URL that was signed, one of the property's own."""
    try:
        url = recipient_clicked(token=token)
    except NotFound:
        return render(request, "crm/unsubscribe.html", {"invalid": True}, status=404)
    return HttpResponseRedirect(url)


# the mail provider's server calls this without cookies: CSRF-exempt here only, because
# every notification is HMAC-signed with EMAIL_BOUNCE_SECRET (crm.services.bounces)
@csrf_exempt
@never_cache
@require_POST
def bounces(request: HttpRequest) -> HttpResponse:
    """A bounce notification: 403 unless signed with our secret (nothing changes then)."""
    if len(request.body) > MAX_BOUNCE_BODY:
        return JsonResponse({"error": "too large"}, status=413)
    try:
        event = bounce_verify(
            payload=request.body,
            header=request.headers.get(SIGNATURE_HEADER, ""),
            secret=settings.EMAIL_BOUNCE_SECRET or "",
        )
    except BounceRefused as exc:
        logger.warning("bounce notification refused: %s", exc)
        return JsonResponse({"error": "forbidden"}, status=403)
    try:
        recorded = bounce_record(event=event)
    except ValueError:
        return JsonResponse({"error": "unknown bounce type"}, status=400)
    return JsonResponse({"received": True, "replay": not recorded})
