from core.navigation import items_for
from core.scoping import memberships_for
from core.terminal_sessions import is_terminal_session, terminal_capabilities


def staff_context(request):
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    terminal_session = is_terminal_session(request)
    return {
        "active_property": membership.property,
        "active_membership": membership,
        # a PIN session sees the terminal's screens only, and cannot switch property
        "nav_items": items_for(
            membership.role, terminal_capabilities(request) if terminal_session else None
        ),
        "terminal_session": terminal_session,
        # listed once by the middleware (resolve_active_membership) for this request
        "switchable_memberships": []
        if terminal_session
        else (getattr(request, "memberships", None) or memberships_for(request.user)),
        "terminal_label": getattr(request, "terminal_label", ""),
    }
