"""Guest profiles, organisation-wide (CRM-1): one guest across stays and outlets."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput
from core.models import Organization
from crm.models import Company, Guest
from webhooks.services import webhook_emit_organization

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


@transaction.atomic
def guest_create(
    *,
    organization: Organization,
    last_name: str,
    first_name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "fr",
    company: Company | None = None,
    actor=None,
) -> Guest:
    """Create a guest with the identity the booker typed.

    Never reuses another profile silently, even one with the same e-mail: a booking made with a
    known address carries the name it was made under (reservation, folio, invoice). Profiles
    that share an e-mail are a suggestion for staff (`crm.selectors.guests_sharing_email`).
    Raises: InvalidInput on a missing last name, a malformed e-mail, an unknown language or a
    company of another organisation.
    """
    last_name = (last_name or "").strip()
    first_name = (first_name or "").strip()
    email = (email or "").strip().lower()
    phone = (phone or "").strip()
    if not last_name:
        raise InvalidInput(_("The guest's last name is required."), extra={"field": "last_name"})
    if len(last_name) > 100 or len(first_name) > 100 or len(phone) > 30:
        raise InvalidInput(_("A guest field is too long."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(
                _("“%(email)s” is not a valid e-mail address.") % {"email": email},
                extra={"field": "email"},
            )
    if language not in LANGUAGE_CODES:
        language = "fr"
    if company is not None and company.organization_id != organization.pk:
        raise InvalidInput(_("Unknown company."), extra={"field": "company"})

    guest = Guest(
        organization=organization,
        last_name=last_name,
        first_name=first_name,
        email=email,
        phone=phone,
        language=language,
        company=company,
    )
    guest.full_clean()
    guest.save()
    audit_log(action="crm.guest.created", property=None, actor=actor, target=guest)
    webhook_emit_organization(
        organization_id=organization.pk, event="guest.created", data=lambda: guest_event(guest)
    )
    return guest


def guest_event(guest: Guest) -> dict:
    """guest.created's data (version 1, webhooks.schema): the identity, nothing about health
    or the staff's notes. Erased from the delivery log with the guest (crm.services.gdpr)."""
    return {
        "id": guest.public_id,
        "first_name": guest.first_name,
        "last_name": guest.last_name,
        "email": guest.email,
        "phone": guest.phone,
        "language": guest.language,
        "country": guest.country,
        "created_at": guest.created_at,
    }


@transaction.atomic
def guest_identity_update(
    *,
    guest: Guest,
    last_name: str,
    first_name: str = "",
    email: str = "",
    phone: str = "",
    country: str = "",
    actor=None,
) -> Guest:
    """Correct the guest's identity as read from their ID at check-in (the front desk is
    where a booking made under a nickname or by a colleague meets the real person).

    Only changed fields are written; the audit trail keeps the old values.
    Raises: InvalidInput on a missing last name, a malformed e-mail or country, or a value
    too long — nothing is changed then.
    """
    values = {
        "last_name": (last_name or "").strip(),
        "first_name": (first_name or "").strip(),
        "email": (email or "").strip().lower(),
        "phone": (phone or "").strip(),
        "country": (country or "").strip().upper(),
    }
    if not values["last_name"]:
        raise InvalidInput(_("The guest's last name is required."), extra={"field": "last_name"})
    if len(values["last_name"]) > 100 or len(values["first_name"]) > 100:
        raise InvalidInput(_("A guest field is too long."))
    if len(values["phone"]) > 30:
        raise InvalidInput(_("A guest field is too long."))
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            raise InvalidInput(
                _("“%(email)s” is not a valid e-mail address.") % {"email": values["email"]},
                extra={"field": "email"},
            )
    if values["country"] and not (len(values["country"]) == 2 and values["country"].isalpha()):
        raise InvalidInput(
            _("Enter the country as a two-letter code (FR, DE, GB…)."), extra={"field": "country"}
        )
    return _guest_fields_save(
        guest=guest, values=values, action="crm.guest.identity_updated", actor=actor
    )


@transaction.atomic
def guest_preferences_update(
    *, guest: Guest, diet: str = "", allergies: str = "", notes: str = "", actor=None
) -> Guest:
    """What the staff must know to serve the guest (diet, allergies) and notes; shown on the
    waiter's tablet and at the desk when the guest is attached. Audited with the old values.
    Raises: InvalidInput on a value too long — nothing is changed then."""
    values = {
        "diet": (diet or "").strip(),
        "allergies": (allergies or "").strip(),
        "notes": (notes or "").strip(),
    }
    if len(values["diet"]) > 100 or len(values["allergies"]) > 300 or len(values["notes"]) > 4000:
        raise InvalidInput(_("A guest field is too long."))
    return _guest_fields_save(
        guest=guest, values=values, action="crm.guest.preferences_updated", actor=actor
    )


def _guest_fields_save(*, guest: Guest, values: dict, action: str, actor) -> Guest:
    """Save the fields of `values` that differ, under the guest's row lock, and audit the
    old and new values (nothing written when nothing changed)."""
    guest = Guest.objects.select_for_update().get(pk=guest.pk)
    changed = {k: v for k, v in values.items() if getattr(guest, k) != v}
    if not changed:
        return guest
    before = {k: getattr(guest, k) for k in changed}
    for key, value in changed.items():
        setattr(guest, key, value)
    guest.save(update_fields=[*changed, "updated_at"])
    audit_log(
        action=action,
        property=None,
        actor=actor,
        target=guest,
        data={"before": before, "after": changed},
    )
    return guest


IDENTITY = ("last_name", "first_name", "email", "phone", "country")
PREFERENCES = ("diet", "allergies", "notes")


@transaction.atomic
def guest_update(*, guest: Guest, changes: dict, actor=None) -> Guest:
    """Change some of a guest's identity and preference fields at once (the API's PATCH):
    the fields not given keep their values, each part goes through its own rule
    (`guest_identity_update`, `guest_preferences_update`) in one transaction, so a refused
    value changes nothing. Raises InvalidInput as they do, or on a field neither knows."""
    unknown = set(changes) - set(IDENTITY) - set(PREFERENCES)
    if unknown:
        raise InvalidInput(_("Unknown guest field."), extra={"fields": sorted(unknown)})
    if any(name in changes for name in IDENTITY):
        guest = guest_identity_update(
            guest=guest,
            actor=actor,
            **{name: changes.get(name, getattr(guest, name)) for name in IDENTITY},
        )
    if any(name in changes for name in PREFERENCES):
        guest = guest_preferences_update(
            guest=guest,
            actor=actor,
            **{name: changes.get(name, getattr(guest, name)) for name in PREFERENCES},
        )
    return guest
