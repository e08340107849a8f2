"""The police form (fiche individuelle de police, CESEDA R611-42; REFERENCE §10).

Every guest who is not a French national fills and signs it on arrival; the desk pre-fills it
from the booking, the guest signs on the tablet. It is kept 6 months and handed to the police
or gendarmerie only on their request (the list per day, the PDF), then purged by a beat task;
the purge is audited with counts only (an audit line that kept the names would defeat it)."""

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput
from core.models import Property
from core.validators import email_address
from pms.models import PoliceForm, Reservation

RETENTION = relativedelta(months=6)
SIGNATURE_PREFIX = "data:image/png;base64,"
MAX_SIGNATURE_BYTES = 200_000
MAX_CHILDREN = 20
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def police_form_required(*, country: str) -> bool:
    """A form is due for every guest who is not a French national (EU citizens included);
    an unknown nationality is asked, so the form is offered."""
    return (country or "").strip().upper() != "FR"


@dataclass(frozen=True)
class PoliceFormInput:
    last_name: str
    first_name: str
    birth_date: str  # ISO date as typed in the form
    birth_place: str
    nationality: str  # ISO 3166 alpha-2
    address: str
    signature: str  # PNG data URL from the tablet's canvas
    phone: str = ""
    email: str = ""
    children_under_15: str = "0"


def _required(value: str, label: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("Fill in “%(field)s”.") % {"field": label})
    if len(value) > max_length:
        raise InvalidInput(
            _("“%(field)s” is too long (%(max)s characters at most).")
            % {"field": label, "max": max_length}
        )
    return value


def _signature(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("The guest must sign the form."))
    if not value.startswith(SIGNATURE_PREFIX) or len(value) > MAX_SIGNATURE_BYTES:
        raise InvalidInput(_("The signature could not be read: sign again."))
    try:
        png = base64.b64decode(value[len(SIGNATURE_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(_("The signature could not be read: sign again."))
    if not png.startswith(PNG_MAGIC):
        raise InvalidInput(_("The signature could not be read: sign again."))
    return value


def _clean(data: PoliceFormInput, today: date) -> dict:
    try:
        birth_date = date.fromisoformat((data.birth_date or "").strip())
    except ValueError:
        raise InvalidInput(_("Enter the date of birth."))
    if birth_date >= today or birth_date.year < 1900:
        raise InvalidInput(_("Enter a valid date of birth."))
    nationality = (data.nationality or "").strip().upper()
    if len(nationality) != 2 or not nationality.isalpha():
        raise InvalidInput(_("Choose the nationality."))
    if nationality == "FR":
        raise InvalidInput(_("A French national does not fill in a police form."))
    try:
        children = int((data.children_under_15 or "0").strip() or "0")
    except ValueError:
        raise InvalidInput(_("The number of children must be a whole number."))
    if not 0 <= children <= MAX_CHILDREN:
        raise InvalidInput(_("The number of children must be a whole number."))
    email = (data.email or "").strip()
    return {
        "last_name": _required(data.last_name, _("last name"), 100),
        "first_name": _required(data.first_name, _("first names"), 100),
        "birth_date": birth_date,
        "birth_place": _required(data.birth_place, _("place of birth"), 100),
        "nationality": nationality,
        "address": _required(data.address, _("usual address"), 300),
        "phone": (data.phone or "").strip()[:30],
        "email": email_address(email) if email else "",
        "children_under_15": children,
        "signature": _signature(data.signature),
    }


@transaction.atomic
def police_form_record(
    *, reservation: Reservation, data: PoliceFormInput, actor=None, guest=None
) -> PoliceForm:
    """Record one signed form for `reservation` (the arrival and planned departure are the
    stay's). `guest` is the profile it was pre-filled from, if any.
    Raises InvalidInput naming the field (nothing is saved)."""
    if reservation.status in (Reservation.Status.CANCELLED, Reservation.Status.NO_SHOW):
        raise InvalidInput(_("This reservation was cancelled."))
    fields = _clean(data, reservation.property.business_date())
    form = PoliceForm.objects.create(
        property=reservation.property,
        reservation=reservation,
        guest=guest,
        arrival=reservation.arrival,
        departure=reservation.departure,
        signed_at=timezone.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    audit_log(
        action="pms.police_form.signed",
        property=reservation.property,
        actor=actor,
        target=reservation,
        data={"police_form": form.pk},
    )
    return form


def police_forms_purge(*, now: datetime | None = None) -> int:
    """Delete the forms of stays that began more than 6 months ago, property by property, each
    purge audited (how many, up to which arrival). Idempotent; returns how many went."""
    now = now or timezone.now()
    purged = 0
    for prop in Property.objects.filter(police_forms__isnull=False).distinct().order_by("pk"):
        cutoff = prop.business_date_at(now) - RETENTION
        with transaction.atomic():
            count, _detail = PoliceForm.objects.filter(property=prop, arrival__lt=cutoff).delete()
            if count:
                audit_log(
                    action="pms.police_form.purged",
                    property=prop,
                    data={"count": count, "arrival_before": str(cutoff)},
                )
        purged += count
    return purged


def police_form_pdf_render(*, form: PoliceForm, language: str | None = None) -> bytes:
    """The signed form as a PDF, for the police on their request."""
    from weasyprint import HTML

    language = language or form.property.default_language
    with translation.override(language):
        html = render_to_string("pms/pdf/police_form.html", {"form": form, "prop": form.property})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
