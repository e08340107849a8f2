"""The Content-Security-Policy's per-view parts (django-csp 4.x; the policy itself is
CONTENT_SECURITY_POLICY in config/settings.py, documented in docs/security.md).

Every response carries the strict policy: scripts, styles, images and fonts only from our own
static files, nothing inline, no eval, and `frame-ancestors 'none'`. Two kinds of page differ:

- the public booking engine may be framed by the property's own websites
  (`Property.booking_frame_ancestors`): `booking_engine_frame_policy`;
- the Swagger UI (`/api/docs/`) draws its icons as `data:` images: `api_docs_policy`.
"""

from collections.abc import Callable
from functools import wraps

from csp.constants import SELF
from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.clickjacking import xframe_options_exempt

# Swagger UI's bundle sets its icons as data: SVG images; nothing else is relaxed there.
api_docs_policy = csp_update({"img-src": ["data:"]})

# where a booking-engine view keeps the property it served (read by the decorator below)
BOOKING_PROPERTY_ATTR = "booking_property"


def frame_ancestors(response: HttpResponseBase, origins: list[str]) -> HttpResponseBase:
    """Let `origins` (checked web origins) and our own pages frame this response."""
    replace = dict(getattr(response, "_csp_replace", None) or {})
    replace["frame-ancestors"] = [SELF, *origins]
    response._csp_replace = replace
    return response


def form_action(response: HttpResponseBase, origins: list[str]) -> HttpResponseBase:
    """Let this page's forms lead to `origins` too: a POST answered by a redirect to the card
    provider's payment page is held to form-action by the browser."""
    replace = dict(getattr(response, "_csp_replace", None) or {})
    replace["form-action"] = [SELF, *origins]
    response._csp_replace = replace
    return response


def booking_engine_frame_policy(view: Callable[..., HttpResponseBase]):
    """The booking engine's frame-ancestors: our own pages and the websites the property
    lists; X-Frame-Options is left out (it cannot name several sites, and browsers obey the
    CSP's frame-ancestors over it). The view stores its property on the request."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        prop = getattr(request, BOOKING_PROPERTY_ATTR, None)
        return frame_ancestors(response, prop.booking_embed_origins() if prop else [])

    return xframe_options_exempt(wrapped)
