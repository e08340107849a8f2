"""Which POS terminal a browser is (the signed cookie of core.terminals, resolved here)."""

from django.http import HttpRequest

from core.terminals import terminal_binding
from pos.models import Terminal
from pos.selectors import terminal_get


def terminal_for_request(request: HttpRequest) -> Terminal | None:
    """The active Terminal of request.property this browser is bound to, or None (not bound,
    bound to a property-wide device, to another property, or to a terminal since removed)."""
    binding = terminal_binding(request)
    prop = getattr(request, "property", None)
    if not binding or prop is None or binding.get("property_id") != prop.pk:
        return None
    terminal_id = binding.get("terminal_id")
    if not isinstance(terminal_id, int):
        return None
    return terminal_get(property=prop, pk=terminal_id)
