"""The guest screens' writes: likely duplicates and their merge (manager), preferences,
the personal-data export and the erasure. The profile itself is reporting.guest_views."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from crm.models import Guest
from crm.selectors import duplicate_pairs
from crm.services.gdpr import guest_erase, guest_export
from crm.services.guests import guest_preferences_update
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


def _guest_by_public_id(request: HttpRequest, public_id) -> Guest:
    return get_object_or_404(
        Guest, public_id=public_id, organization_id=request.property.organization_id
    )


def _profile(guest: Guest) -> HttpResponse:
    return redirect("guest_profiles:profile", public_id=guest.public_id)


@require_POST
@capability_required("guests.contact")
def preferences_update(request: HttpRequest, public_id) -> HttpResponse:
    guest = _guest_by_public_id(request, public_id)
    try:
        guest_preferences_update(
            guest=guest,
            diet=request.POST.get("diet", ""),
            allergies=request.POST.get("allergies", ""),
            notes=request.POST.get("notes", ""),
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Preferences saved."))
    return _profile(guest)


@require_GET
@capability_required("manage")
def personal_data_export(request: HttpRequest, public_id) -> HttpResponse:
    """The guest's personal data as a JSON file (GDPR art. 15 and 20)."""
    guest = _guest_by_public_id(request, public_id)
    data = guest_export(guest=guest, actor=request.user)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="guest-{guest.public_id}.json"'
    return response


@require_POST
@capability_required("manage")
def erase(request: HttpRequest, public_id) -> HttpResponse:
    """Anonymise the guest, when asked and typed to confirm."""
    guest = _guest_by_public_id(request, public_id)
    if request.POST.get("confirm", "").strip().upper() not in ("ERASE", "EFFACER"):
        messages.error(request, _("Type ERASE to confirm the erasure."))
        return _profile(guest)
    try:
        guest_erase(guest=guest, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The guest's personal data was erased."))
    return _profile(guest)
