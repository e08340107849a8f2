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
        "switchable_memberships": memberships_for(request.user),
        "terminal_label": getattr(request, "terminal_label", ""),
    }
