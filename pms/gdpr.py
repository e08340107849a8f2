"""pms's part of a guest's GDPR requests (receivers of crm.signals): a stay in progress
blocks an erasure; an erasure blanks the reservations' notes; the export lists the stays."""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from crm.signals import erasure_blockers, guest_erasing, guest_exporting
from pms.models import Reservation


@receiver(erasure_blockers)
def stay_in_progress(sender, guest, **kwargs):
    if Reservation.objects.filter(guest=guest, status=Reservation.Status.IN_HOUSE).exists():
        return _("The guest is staying with us: erase the profile after check-out.")
    return None


@receiver(guest_erasing)
def blank_reservation_notes(sender, guest, **kwargs):
    Reservation.objects.filter(guest=guest).exclude(notes="").update(notes="")


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
