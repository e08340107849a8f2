"""Terminal sessions: what a PIN opens on a shared device.

A PIN typed on a bound terminal signs the person in for that terminal only: the session is
marked (`auth_method="pin"` and the terminal), limited to the terminal's operational screens
(core.roles.TERMINAL_CAPABILITIES_*), refused the back office, exports, accounting, staff
management, the API and the admin (a "sign in with your password" page), and ended after
PIN_SESSION_IDLE_SECONDS without a request. A password sign-in clears the mark, so the same
person reaches everything their role allows, as before.
"""

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect

from core.roles import TERMINAL_CAPABILITIES_POS, TERMINAL_CAPABILITIES_PROPERTY

AUTH_METHOD = "auth_method"
TERMINAL = "terminal"
SEEN = "terminal_seen"
_KEYS = (AUTH_METHOD, TERMINAL, SEEN)


def start_terminal_session(request: HttpRequest, *, property_id: int, binding: dict) -> None:
    """Mark the session just opened by a PIN as a terminal session (after `login`)."""
    request.session[AUTH_METHOD] = "pin"
    request.session[TERMINAL] = {
        "property_id": property_id,
        "terminal_id": binding.get("terminal_id") if binding else None,
    }
    request.session[SEEN] = time.time()


def clear_terminal_session(sender=None, request=None, user=None, **kwargs) -> None:
    """A sign-in by any other means (the password) is a full session: drop the mark.
    Connected to `user_logged_in`; the PIN switch marks its session after `login`."""
    session = getattr(request, "session", None)
    if session is not None:
        for key in _KEYS:
            session.pop(key, None)


def is_terminal_session(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return session is not None and session.get(AUTH_METHOD) == "pin"


def terminal_capabilities(request: HttpRequest) -> frozenset[str]:
    """A POS terminal opens its outlet's screens; a device bound to the whole property
    (no terminal) also opens the desk's operational screens."""
    terminal = request.session.get(TERMINAL) or {}
    if terminal.get("terminal_id"):
        return TERMINAL_CAPABILITIES_POS
    return TERMINAL_CAPABILITIES_PROPERTY


def terminal_allows(request: HttpRequest, capability: str) -> bool:
    return not is_terminal_session(request) or capability in terminal_capabilities(request)


def password_required(request: HttpRequest) -> HttpResponse:
    """The answer to a terminal session asking for a screen that needs the password: a page
    that says so with a link to the sign-in (a JSON error for the API, a full-page redirect
    to the sign-in for an htmx tap)."""
    login_url = f"/login/?next={quote(request.get_full_path())}"
    if request.path.startswith("/api/"):
        from django.utils.translation import gettext as _

        return JsonResponse(
            {
                "code": "password_required",
                "message": _("A PIN session cannot use the API: sign in with your password."),
            },
            status=403,
        )
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(login_url)
    return render(request, "core/password_required.html", {"login_url": login_url}, status=403)


def _password_only(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in settings.TERMINAL_PASSWORD_ONLY_PATHS)


def _idle_expired(request: HttpRequest) -> bool:
    """Whether the terminal session saw no request for PIN_SESSION_IDLE_SECONDS; else note
    this request (at most every few seconds: each note is a session write)."""
    now = time.time()
    seen = request.session.get(SEEN) or 0
    idle = settings.PIN_SESSION_IDLE_SECONDS
    if now - seen > idle:
        return True
    if now - seen >= min(30.0, idle / 10):
        request.session[SEEN] = now
    return False


class TerminalSessionMiddleware:
    """Ends idle terminal sessions (next request goes back to /pin/), keeps terminal
    sessions out of the password-only paths, and sends an administrator who has not passed
    the second factor to it before the admin (django-otp)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if is_terminal_session(request):
                if _idle_expired(request):
                    logout(request)
                    if request.path != "/pin/":
                        pin_url = f"/pin/?next={quote(request.get_full_path())}"
                        if getattr(request, "htmx", False):
                            return HttpResponseClientRedirect(pin_url)
                        return redirect(pin_url)
                elif _password_only(request.path):
                    return password_required(request)
            elif request.path.startswith("/admin/") and not _second_factor_passed(user):
                return redirect(second_factor_url(user, request.get_full_path()))
        return self.get_response(request)


def _second_factor_passed(user) -> bool:
    """Non-staff users never reach the admin anyway (it refuses them itself)."""
    if not user.is_staff:
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def second_factor_url(user, next_url: str) -> str:
    """Where an administrator goes for the second factor: the check, or the enrolment when
    they have no confirmed device yet."""
    from django_otp import user_has_device

    name = "two-factor/" if user_has_device(user, confirmed=True) else "two-factor/setup/"
    return f"/account/{name}?next={quote(next_url)}"
