"""The guest profile screen (CRM-1): figures read by reporting.guests, the preferences form
and the GDPR actions (crm's views)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from core.roles import role_has
from core.scoping import capability_required
from crm.models import Guest
from inventory.models import RevenueCategory
from reporting.guests import guest_profile


@require_GET
@capability_required("guests.contact")
def guest_profile_view(request: HttpRequest, public_id) -> HttpResponse:
    guest = get_object_or_404(
        Guest.objects.select_related("company", "merged_into"),
        public_id=public_id,
        organization_id=request.property.organization_id,
    )
    profile = guest_profile(guest=guest)
    labels = dict(RevenueCategory.choices)
    return render(
        request,
        "reporting/guest_profile.html",
        {
            "profile": profile,
            "guest": guest,
            "categories": [(labels.get(c, c), total) for c, total in profile.spend_by_category],
            "can_manage": role_has(request.membership.role, "manage"),
        },
    )
