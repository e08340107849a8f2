import ipaddress

from django.conf import settings
from django.utils import translation

from core.cache_tokens import tokens_for_request
from core.scoping import resolve_active_membership


def client_address(meta: dict, trusted_proxies: int) -> str:
    """The client's address behind `trusted_proxies` reverse proxies.

    Each proxy appends the address it received the request from to X-Forwarded-For, so the
    client is the entry `trusted_proxies` from the right; entries left of it were written by
    the client and prove nothing. Without trusted proxies, or with a header that is missing,
    too short or not an address, the connection's own address (REMOTE_ADDR) stands.
    """
    remote = meta.get("REMOTE_ADDR", "")
    if trusted_proxies <= 0:
        return remote
    forwarded = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if len(forwarded) < trusted_proxies:
        return remote
    candidate = forwarded[-trusted_proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class ClientAddressMiddleware:
    """REMOTE_ADDR becomes the client's address behind the TRUSTED_PROXY_COUNT proxies (the
    TLS proxy in front of gunicorn), so the rate limits, the PIN throttle and the sign-in
    records see the client, not the proxy. The proxy's address stays in PROXY_ADDR."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted = settings.TRUSTED_PROXY_COUNT

    def __call__(self, request):
        if self.trusted:
            request.META["PROXY_ADDR"] = request.META.get("REMOTE_ADDR", "")
            request.META["REMOTE_ADDR"] = client_address(request.META, self.trusted)
        return self.get_response(request)


class RequestTokensMiddleware:
    """Each cache version token is read once per request (core.cache_tokens): a tap read
    the catalogue, terminals and staff tokens seven times."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with tokens_for_request():
            return self.get_response(request)


class ActivePropertyMiddleware:
    """Sets request.membership / request.property for signed-in staff, and their language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.property = None
        if request.user.is_authenticated:
            membership = resolve_active_membership(request)
            if membership is not None:
                request.membership = membership
                request.property = membership.property
            # a language chosen on this device (cookie) wins: only then skip the profile query
            if not request.COOKIES.get("django_language"):
                profile = getattr(request.user, "staff_profile", None)
                language = getattr(profile, "language", "") or (
                    request.property.default_language if request.property else ""
                )
                if language:
                    translation.activate(language)
                    request.LANGUAGE_CODE = language
        return self.get_response(request)
