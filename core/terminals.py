"""A shared terminal is a browser bound to a property (and, by pos, to an outlet) through a
signed, long-lived cookie. It survives staff switching, which replaces the signed-in user."""

import uuid

from django.core import signing
from django.http import HttpRequest, HttpResponse

COOKIE = "auberge_terminal"
SALT = "auberge.terminal"
MAX_AGE = 60 * 60 * 24 * 365


def terminal_binding(request: HttpRequest) -> dict | None:
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or "property_id" not in data:
        return None
    return data


def bind_terminal(
    response: HttpResponse,
    *,
    property_id: int,
    terminal_id: int | None,
    label: str,
    outlet_id: int | None = None,
) -> None:
    # `device` tells this browser from another bound to the same terminal: the PIN
    # throttle counts wrong PINs per device
    value = signing.dumps(
        {
            "property_id": property_id,
            "terminal_id": terminal_id,
            "label": label,
            # the PIN switch refuses who has no rights at this outlet (core.outlets)
            "outlet_id": outlet_id,
            "device": uuid.uuid4().hex,
        },
        salt=SALT,
    )
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request_is_secure_default(),
    )


def binding_device(binding: dict) -> str:
    """The key the PIN throttle counts this device's wrong PINs under (a binding made before
    devices had their own id counts per terminal)."""
    device = binding.get("device")
    if isinstance(device, str) and device:
        return device
    return f"terminal-{binding.get('terminal_id')}-{binding.get('label', '')}"


def request_device(request: HttpRequest) -> str:
    """The device key of the terminal this browser is bound to, or "" (not bound)."""
    binding = terminal_binding(request)
    return binding_device(binding) if binding else ""


def unbind_terminal(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE)


def request_is_secure_default() -> bool:
    from django.conf import settings

    return settings.SESSION_COOKIE_SECURE
