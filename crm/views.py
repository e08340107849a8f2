"""The guest screens: likely duplicates and their merge (manager)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from crm.models import Guest
from crm.selectors import duplicate_pairs
from crm.services.merge import guests_merge


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _guest_or_404(request: HttpRequest, pk: int) -> Guest:
    """A live profile of the organisation of the active property (guests are shared by
    the organisation's properties)."""
    return get_object_or_404(
        Guest, pk=pk, organization_id=request.property.organization_id, merged_into__isnull=True
    )


@require_GET
@capability_required("manage")
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """Pairs of profiles that look like one person, the strongest first."""
    pairs = duplicate_pairs(organization_id=request.property.organization_id)
    return render(request, "crm/duplicates.html", {"pairs": pairs})


@require_POST
@capability_required("manage")
def guest_merge(request: HttpRequest) -> HttpResponse:
    """Merge the pair: the profile chosen is kept, the other one is folded into it."""
    keep = _guest_or_404(request, _int(request.POST.get("keep")))
    duplicate = _guest_or_404(request, _int(request.POST.get("duplicate")))
    try:
        guests_merge(keep=keep, duplicate=duplicate, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("“%(duplicate)s” was merged into “%(keep)s”.")
            % {"duplicate": duplicate, "keep": keep},
        )
    return redirect("crm:duplicates")
