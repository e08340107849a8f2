from core.navigation import NAV_PHONE, items_for, split_menu
from core.scoping import memberships_for
from core.terminal_sessions import is_terminal_session, terminal_capabilities


def staff_context(request):
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    terminal_session = is_terminal_session(request)
    nav_items = items_for(
        membership.role, terminal_capabilities(request) if terminal_session else None
    )
    nav_bar, nav_more = split_menu(nav_items, request.path)
    # on a phone the bar keeps NAV_PHONE screens and folds the others behind "More"
    nav_fold = bool(nav_more) or len(nav_bar) > NAV_PHONE + 1
    nav_folded = nav_bar[NAV_PHONE:] if nav_fold else []
    return {
        "active_property": membership.property,
        "active_membership": membership,
        # a PIN session sees the terminal's screens only, and cannot switch property
        "nav_items": nav_items,
        # the top bar: the first screens, the others behind "More" (a long menu only)
        "nav_bar": nav_bar,
        "nav_more": nav_more,
        "nav_more_active": any(item["active"] for item in nav_more),
        "nav_fold": nav_fold,
        "nav_folded": nav_folded,
        "nav_folded_active": any(item["active"] for item in nav_folded),
        "terminal_session": terminal_session,
        # listed once by the middleware (resolve_active_membership) for this request
        "switchable_memberships": []
        if terminal_session
        else (getattr(request, "memberships", None) or memberships_for(request.user)),
        "terminal_label": getattr(request, "terminal_label", ""),
    }
