import ipaddress

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.locale import LocaleMiddleware
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


# --- token calls to the JSON API: the lean chain (issue 28) --------------------------------

API_PREFIX = "/api/v1/"
TOKEN_KEYWORDS = frozenset({"token", "bearer"})


def is_token_api_call(request) -> bool:
    """A call to the JSON API carrying `Authorization: Token …` or `Bearer …`: DRF's token
    authentications (core.api_auth, core.api_tokens) then decide who calls — they answer or
    refuse, and never fall back to the session — so nothing of the session is used."""
    if not request.path_info.startswith(API_PREFIX):
        return False
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return header.split(" ", 1)[0].lower() in TOKEN_KEYWORDS


class _LeanHandler(BaseHandler):
    """The end of Django's handler (URL resolution, the view, the template responses) under
    `middleware` only. None of the middleware skipped for a token call has a process_view
    an API view sees (CSRF's: every /api/v1/ view is csrf_exempt), a process_exception or a
    process_template_response."""

    def __init__(self, middleware):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for middleware_class in reversed(middleware):
            handler = convert_exception_to_response(middleware_class(handler))
        self._middleware_chain = handler


class ApiTokenMiddleware:
    """A token call to /api/v1/ (is_token_api_call) skips the staff middleware it uses none
    of: static files, session, CSRF (DRF enforces it for session callers only, and those
    keep the whole chain), authentication and its second factor, messages, htmx, the
    terminal sessions and the active property with its language. It keeps what its answer
    shows: the language of Accept-Language (LocaleMiddleware, with Content-Language and
    Vary), ALLOWED_HOSTS and Content-Length (CommonMiddleware), X-Frame-Options.

    Placed after RequestTokensMiddleware (the version tokens are read once per request on
    both chains). AUBERGE_API_LEAN_MIDDLEWARE=0 leaves it out (the checkout benchmark
    measures both)."""

    LEAN = (LocaleMiddleware, CommonMiddleware, XFrameOptionsMiddleware)

    def __init__(self, get_response):
        if not settings.API_LEAN_MIDDLEWARE:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.lean = _LeanHandler(self.LEAN)._middleware_chain

    def __call__(self, request):
        if is_token_api_call(request):
            # as the skipped middleware leave a caller without a session: DRF puts the
            # token's user on the request once it has authenticated it
            request.user = AnonymousUser()
            request.membership = None
            request.property = None
            return self.lean(request)
        return self.get_response(request)
