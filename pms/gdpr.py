"""pms's part of a guest's GDPR requests (receivers of crm.signals): a stay in progress
blocks an erasure; an erasure blanks the reservations' notes; the export lists the stays.

Police forms are a legal obligation (CESEDA R611-42, kept 6 months for the police): an
erasure keeps those still within their retention as signed — GDPR art. 17(3)(b) — and the
nightly purge deletes them when it ends; forms already past it go with the erasure."""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from crm.signals import erasure_blockers, guest_erasing, guest_exporting
from pms.models import PoliceForm, Reservation


@receiver(erasure_blockers)
def stay_in_progress(sender, guest, **kwargs):
    if Reservation.objects.filter(guest=guest, status=Reservation.Status.IN_HOUSE).exists():
        return _("The guest is staying with us: erase the profile after check-out.")
    return None


@receiver(guest_erasing)
def blank_reservation_notes(sender, guest, **kwargs):
    Reservation.objects.filter(guest=guest).exclude(notes="").update(notes="")


@receiver(guest_erasing)
def police_forms_past_retention(sender, guest, **kwargs):
    from pms.services.police import RETENTION

    forms = PoliceForm.objects.filter(reservation__guest=guest) | PoliceForm.objects.filter(
        guest=guest
    )
    for prop_id in set(forms.values_list("property_id", flat=True)):
        from core.models import Property

        cutoff = Property.objects.get(pk=prop_id).business_date() - RETENTION
        forms.filter(property_id=prop_id, arrival__lt=cutoff).delete()


@receiver(guest_exporting)
def stays(sender, guest, **kwargs):
    return {
        "stays": [
            {
                "reference": ref,
                "arrival": str(arrival),
                "departure": str(departure),
                "status": status,
                "notes": notes,
            }
            for ref, arrival, departure, status, notes in Reservation.objects.filter(guest=guest)
            .order_by("arrival", "pk")
            .values_list("reference", "arrival", "departure", "status", "notes")
        ]
    }
