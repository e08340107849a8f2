"""Merging two profiles of one person (CRM-2), in one transaction.

What points to the duplicate is re-pointed to the profile kept — reservations, folios, orders,
tabs, gift cards, channel connections, found through the model registry (crm imports no app
above it) — except the fiscal documents: a ticket or an invoice is sealed and append-only, it
keeps the guest it was issued to, byte for byte. The duplicate therefore stays, marked
`merged_into` the profile kept (the profile screens follow that link), and is never listed
again; a merge is audited with what it moved and is not undone by any screen.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput
from crm.models import Guest, LoyaltyAccount, LoyaltyMovement
from webhooks.services import webhook_emit_organization

# sealed fiscal documents (append-only on PostgreSQL): never re-pointed
FROZEN = frozenset({"billing.ticket", "billing.invoice"})
# handled by hand below (a balance to move, not a row to re-point)
SPECIAL = frozenset({"crm.loyaltyaccount", "crm.guest"})
# filled on the profile kept when it has none
IDENTITY_FIELDS = ("first_name", "email", "phone", "country", "birth_date", "company_id")


def _relations():
    """Every foreign key to Guest outside crm's special cases (hidden related names too)."""
    for rel in Guest._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.is_relation):
            continue
        label = rel.related_model._meta.label_lower
        if label in FROZEN or label in SPECIAL:
            continue
        yield label, rel.related_model, rel.field.name


def _move_points(*, keep: Guest, duplicate: Guest) -> int:
    """The duplicate's points go to the profile kept, as two ledger movements."""
    LoyaltyAccount.objects.get_or_create(guest=keep)
    LoyaltyAccount.objects.get_or_create(guest=duplicate)
    accounts = {
        a.guest_id: a
        for a in LoyaltyAccount.objects.select_for_update()
        .filter(guest__in=[keep, duplicate])
        .order_by("pk")
    }
    source, target = accounts[duplicate.pk], accounts[keep.pk]
    points = source.balance
    if points:
        key = f"merge:{duplicate.pk}"
        LoyaltyMovement.objects.create(
            account=source, kind=LoyaltyMovement.Kind.MERGE, points=-points, key=key
        )
        LoyaltyMovement.objects.create(
            account=target, kind=LoyaltyMovement.Kind.MERGE, points=points, key=key
        )
        source.balance = 0
        target.balance += points
        source.save(update_fields=["balance"])
        target.save(update_fields=["balance"])
    return points


def guests_merge(*, keep: Guest, duplicate: Guest, actor) -> Guest:
    """Merge `duplicate` into `keep`. Locks both profiles (pk order). Blank identity fields of
    `keep` are filled from the duplicate, notes appended, consent kept only if `keep` gave it.
    Raises: InvalidInput for the same profile, another organisation or a profile already
    merged. Returns the profile kept."""
    if keep.pk == duplicate.pk:
        raise InvalidInput(_("Choose two different profiles to merge."))
    if keep.organization_id != duplicate.organization_id:
        raise InvalidInput(_("These profiles belong to different organisations."))
    with transaction.atomic():
        locked = {
            g.pk: g
            for g in Guest.objects.select_for_update()
            .filter(pk__in=[keep.pk, duplicate.pk])
            .order_by("pk")
        }
        keep, duplicate = locked[keep.pk], locked[duplicate.pk]
        if keep.merged_into_id or duplicate.merged_into_id:
            raise InvalidInput(_("One of these profiles has already been merged."))
        moved: dict[str, int] = {}
        for label, model, field in _relations():
            count = model._base_manager.filter(**{field: duplicate}).update(**{field: keep})
            if count:
                moved[label] = count
        points = _move_points(keep=keep, duplicate=duplicate)
        filled = []
        for name in IDENTITY_FIELDS:
            if not getattr(keep, name) and getattr(duplicate, name):
                setattr(keep, name, getattr(duplicate, name))
                filled.append(name)
        if duplicate.notes:
            keep.notes = "\n".join(filter(None, [keep.notes, duplicate.notes]))
            filled.append("notes")
        keep.save()
        duplicate.merged_into = keep
        duplicate.merged_at = timezone.now()
        duplicate.save(update_fields=["merged_into", "merged_at", "updated_at"])
        audit_log(
            action="crm.guest.merged",
            property=None,
            actor=actor,
            target=keep,
            data={
                "duplicate": duplicate.pk,
                "duplicate_identity": {
                    "first_name": duplicate.first_name,
                    "last_name": duplicate.last_name,
                    "email": duplicate.email,
                    "phone": duplicate.phone,
                },
                "moved": moved,
                "points": points,
                "filled": filled,
            },
        )
        webhook_emit_organization(
            organization_id=keep.organization_id,
            event="guest.merged",
            data={
                "id": keep.public_id,
                "merged_id": duplicate.public_id,
                "merged_at": duplicate.merged_at,
            },
        )
    return keep
