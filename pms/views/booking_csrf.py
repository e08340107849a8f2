"""Cross-site request forgery protection of the public booking engine, without cookies.

The engine is framed by the property's website (another site): browsers do not send a
`SameSite=Lax` cookie to a frame of another site, so Django's CSRF check (a secret in the
`csrftoken` cookie) refused the embedded engine's first POST. A `SameSite=None` cookie would
need HTTPS everywhere and is refused by browsers that block third-party cookies (Safari).
The engine's forms therefore carry no cookie-bound token; a POST is accepted when

1. the browser says where it comes from and that is the engine's own origin: `Sec-Fetch-Site`
   is `same-origin` (or `none`, typed by the user) when sent, and `Origin`, when sent, is this
   site (or one of CSRF_TRUSTED_ORIGINS). A forged form on another site is sent by the browser
   with that site's `Origin` and `Sec-Fetch-Site: cross-site`, and is refused. Every browser we
   support sends `Origin` on a POST;
2. it carries a form token signed for this property, at most FORM_TOKEN_MAX_AGE old: the form
   came from this property's engine, lately.

Staff screens keep Django's CSRF middleware (token and SameSite=Lax cookie) unchanged.
"""

import logging

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("django.security.csrf")

FORM_TOKEN_FIELD = "booking_token"
FORM_TOKEN_MAX_AGE = 6 * 3600  # a guest may leave the tab open for an afternoon
_SALT = "pms.booking.form"


def booking_form_token(prop) -> str:
    """The token the engine's forms carry: the property, signed and dated."""
    return signing.TimestampSigner(salt=_SALT).sign(str(prop.public_id))


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def booking_post_refusal(request: HttpRequest, prop) -> str | None:
    """Why this POST to `prop`'s engine is refused (a reason for the log), or None. Django's
    test client marks its requests as exempt, as Django's own CSRF check honours."""
    if getattr(request, "_dont_enforce_csrf_checks", False):
        return None
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site {fetch_site}"
    origin = request.headers.get("Origin")
    if origin is not None and origin not in (_own_origin(request), *settings.CSRF_TRUSTED_ORIGINS):
        return f"Origin {origin[:100]}"
    try:
        signed = signing.TimestampSigner(salt=_SALT).unsign(
            request.POST.get(FORM_TOKEN_FIELD, ""), max_age=FORM_TOKEN_MAX_AGE
        )
    except signing.SignatureExpired:
        return "form token expired"
    except signing.BadSignature:
        return "form token missing or invalid"
    if signed != str(prop.public_id):
        return "form token of another property"
    return None


def booking_post_refused(request: HttpRequest, prop) -> HttpResponse | None:
    """For a POST to `prop`'s engine that fails the checks above: the translated page saying
    so (403, nothing changed). None for a POST that passes, and for any other method. The
    view is `csrf_exempt`: this replaces Django's cookie-bound check there, nowhere else."""
    if request.method != "POST":
        return None
    reason = booking_post_refusal(request, prop)
    if reason is None:
        return None
    logger.warning("Booking engine POST refused (%s): %s", reason, request.path)
    return render(request, "pms/booking/refused.html", {"property": prop}, status=403)
