"""Reads of guest profiles for staff screens."""

from django.db.models import QuerySet

from crm.models import Guest


def guests_sharing_email(*, guest: Guest) -> QuerySet[Guest]:
    """Other profiles of the guest's organisation with the same e-mail: perhaps the same
    person, for the front desk to look at (a booking never merges them by itself)."""
    if not guest.email:
        return Guest.objects.none()
    return (
        Guest.objects.filter(organization_id=guest.organization_id, email__iexact=guest.email)
        .exclude(pk=guest.pk)
        .order_by("pk")
    )
