"""Consent and the guest's GDPR rights (CRM-5, REFERENCE §10).

* `consent_record`: an opt-in or opt-out as asked (wording, source, date), append-only.
* `guest_export`: everything Auberge holds about a guest, as JSON (crm's rows, and what the
  apps above add through `crm.signals.guest_exporting`).
* `guest_erase`: anonymise the profile and every non-fiscal row about the guest; fiscal
  documents (tickets, invoices, the journal) keep what the law requires (6 / 10 years).
  Refused while a stay is in progress or a balance is open (`crm.signals.erasure_blockers`).
"""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_log
from core.exceptions import Conflict, InvalidInput
from core.models import AuditEntry, Property
from crm.models import Consent, GiftCard, Guest, LoyaltyAccount
from crm.signals import erasure_blockers, guest_erasing, guest_exporting
from webhooks.services import webhook_emit_organization, webhook_payloads_erase

ERASED_NAME = "—"
# what the guest is asked, on every screen that asks (booking engine, check-in, POS); the
# translated text they saw is what a consent keeps
MARKETING_WORDING = gettext_lazy(
    "I would like to receive the hotel's offers by e-mail (I can unsubscribe at any time)."
)
MAX_WORDING = 2000


class ErasureRefused(Conflict):
    code = "erasure_refused"


def consent_record(
    *,
    guest: Guest,
    given: bool,
    source: str,
    wording: str,
    property: Property | None = None,
    language: str = "",
    actor=None,
) -> Consent:
    """Record the guest's answer with the exact wording they saw; the profile's
    `marketing_opt_in` follows the latest answer.
    Raises: InvalidInput on an unknown source or without the wording."""
    wording = (wording or "").strip()
    if source not in Consent.Source.values:
        raise InvalidInput(_("Unknown consent source."))
    if not wording or len(wording) > MAX_WORDING:
        raise InvalidInput(_("The consent must keep the wording the guest was shown."))
    with transaction.atomic():
        consent = Consent.objects.create(
            guest=guest,
            given=bool(given),
            source=source,
            wording=wording,
            language=language[:5],
            property=property,
            actor=actor if getattr(actor, "pk", None) else None,
        )
        Guest.objects.filter(pk=guest.pk).update(marketing_opt_in=bool(given))
        guest.marketing_opt_in = bool(given)
        audit_log(
            action="crm.consent.recorded",
            property=property,
            actor=actor,
            target=guest,
            data={"given": bool(given), "source": source},
        )
    return consent


def _plain(value):
    if isinstance(value, (Decimal, date, datetime, UUID)):
        return str(value)
    return value


def guest_export(*, guest: Guest, actor=None) -> dict:
    """The guest's personal data as a JSON-able dict (GDPR art. 15 and 20). Audited."""
    profile_fields = (
        "public_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "language",
        "country",
        "birth_date",
        "notes",
        "diet",
        "allergies",
        "marketing_opt_in",
        "created_at",
    )
    data: dict = {
        "profile": {name: _plain(getattr(guest, name)) for name in profile_fields},
        "company": str(guest.company) if guest.company_id else None,
        "consents": [
            {k: _plain(v) for k, v in row.items()}
            for row in guest.consents.values("given", "source", "wording", "created_at")
        ],
        "loyalty": [
            {k: _plain(v) for k, v in row.items()}
            for row in LoyaltyAccount.objects.filter(guest=guest).values(
                "balance", "movements__kind", "movements__points", "movements__created_at"
            )
        ],
        "gift_cards": [
            {k: _plain(v) for k, v in row.items()}
            for row in GiftCard.objects.filter(guest=guest).values(
                "kind", "initial_amount", "balance", "expires_on", "status"
            )
        ],
    }
    for _receiver, sections in guest_exporting.send(sender=Guest, guest=guest):
        for name, rows in (sections or {}).items():
            data[name] = rows
    audit_log(action="crm.guest.exported", property=None, actor=actor, target=guest)
    return data


def guest_erase(*, guest: Guest, actor, reason: str = "") -> Guest:
    """Anonymise `guest` (and the profiles merged into it): identity, contact, notes,
    preferences and consents go; the apps above anonymise their own non-fiscal rows
    (`guest_erasing`); the audit entries about the profile lose their data. Tickets,
    invoices and the journal are not touched (they are sealed and kept by law).
    Locks: the profile. Raises ErasureRefused (409) with the first blocker's reason."""
    with transaction.atomic():
        guest = Guest.objects.select_for_update().get(pk=guest.pk)
        profiles = [guest, *Guest.objects.select_for_update().filter(merged_into=guest)]
        for profile in profiles:
            for _receiver, blocker in erasure_blockers.send(sender=Guest, guest=profile):
                if blocker:
                    raise ErasureRefused(blocker)
            if GiftCard.objects.filter(
                guest=profile, status=GiftCard.Status.ACTIVE, balance__gt=0
            ).exists():
                raise ErasureRefused(
                    _("The guest still has a gift card with a balance: use or refund it first.")
                )
        for profile in profiles:
            guest_erasing.send(sender=Guest, guest=profile)
            Consent.objects.filter(guest=profile).delete()
            GiftCard.objects.filter(guest=profile).update(guest=None)
            AuditEntry.objects.filter(target_type="crm.guest", target_id=str(profile.pk)).update(
                data={"erased": True}
            )
            profile.first_name = ""
            profile.last_name = ERASED_NAME
            profile.email = ""
            profile.phone = ""
            profile.country = ""
            profile.birth_date = None
            profile.notes = ""
            profile.diet = ""
            profile.allergies = ""
            profile.marketing_opt_in = False
            profile.company = None
            profile.save()
        audit_log(
            action="crm.guest.erased",
            property=None,
            actor=actor,
            target=guest,
            data={"profiles": [p.pk for p in profiles], "reason": (reason or "")[:200]},
        )
        # written after the scrub above: this entry names no one
        webhook_payloads_erase(
            organization_id=guest.organization_id, guest_ids=[p.public_id for p in profiles]
        )
        erased_at = timezone.now()
        for profile in profiles:
            # no personal data: the id a receiver knows the profile by, and when
            webhook_emit_organization(
                organization_id=guest.organization_id,
                event="guest.erased",
                data={"id": profile.public_id, "erased_at": erased_at},
            )
    return guest
