from core.navigation import items_for
from core.scoping import memberships_for


def staff_context(request):
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "active_property": membership.property,
        "active_membership": membership,
        "nav_items": items_for(membership.role),
        # listed once by the middleware (resolve_active_membership) for this request
        "switchable_memberships": getattr(request, "memberships", None)
        or memberships_for(request.user),
        "terminal_label": getattr(request, "terminal_label", ""),
    }
