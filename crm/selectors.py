"""Reads of guest profiles for staff screens."""

from dataclasses import dataclass
from itertools import combinations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from crm.matching import NAME_THRESHOLD, email_key, name_score, phone_key
from crm.models import GiftCard, Guest


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


def guests_search(
    *, organization_id: int, name: str = "", email: str = "", phone: str = ""
) -> QuerySet[Guest]:
    """Live profiles of the organisation (merged duplicates left out) matching every text
    given: a name by the start of the first or last name, an e-mail and a phone as the
    duplicate search compares them (`email_key`, `phone_key`, both indexed), so
    "Lea.Martin+resa@Gmail.com" finds "leamartin@gmail.com" and "06 12 34 56 78"
    finds "+33612345678"."""
    guests = Guest.objects.filter(organization_id=organization_id, merged_into__isnull=True)
    name = (name or "").strip()
    if name:
        guests = guests.filter(Q(last_name__istartswith=name) | Q(first_name__istartswith=name))
    if email:
        guests = guests.filter(email_key=email_key(email) or "-")
    if phone:
        guests = guests.filter(phone_key=phone_key(phone) or "-")
    return guests


@dataclass(frozen=True)
class DuplicatePair:
    """Two profiles that look like one person, and why (for a manager to decide)."""

    first: Guest
    second: Guest
    reasons: tuple[str, ...]
    score: int


def _groups(organization_id: int, key: str) -> dict[object, list[int]]:
    """Guest pks per value of `key` shared by more than one live profile (one query each:
    the grouping in SQL, on the partial index)."""
    base = Guest.objects.filter(organization_id=organization_id, merged_into__isnull=True)
    if key == "birth_date":
        base = base.filter(birth_date__isnull=False)
    else:
        base = base.exclude(**{key: ""})
    shared = base.values(key).annotate(n=Count("pk")).filter(n__gt=1).order_by().values(key)
    groups: dict[object, list[int]] = {}
    for value, pk in base.filter(**{f"{key}__in": shared}).values_list(key, "pk").order_by("pk"):
        groups.setdefault(value, []).append(pk)
    return groups


def duplicate_pairs(*, organization_id: int, limit: int = 200) -> list[DuplicatePair]:
    """Likely duplicates among an organisation's live profiles: the same normalised e-mail,
    the same phone (E.164), or the same date of birth with names alike (crm.matching), the
    strongest first. Three grouping queries and one read of the profiles involved."""
    reasons: dict[tuple[int, int], set[str]] = {}
    scores: dict[tuple[int, int], int] = {}
    for key, label in (("email_key", _("same e-mail")), ("phone_key", _("same phone"))):
        for pks in _groups(organization_id, key).values():
            for a, b in combinations(pks, 2):
                reasons.setdefault((a, b), set()).add(str(label))
                scores[(a, b)] = scores.get((a, b), 0) + 100
    birth_groups = _groups(organization_id, "birth_date")
    wanted = {pk for pks in birth_groups.values() for pk in pks} | {
        pk for pair in reasons for pk in pair
    }
    guests = Guest.objects.in_bulk(wanted) if wanted else {}
    for pks in birth_groups.values():
        for a, b in combinations(pks, 2):
            score = name_score(str(guests[a]), str(guests[b]))
            if score >= NAME_THRESHOLD:
                reasons.setdefault((a, b), set()).add(str(_("similar name, same date of birth")))
                scores[(a, b)] = scores.get((a, b), 0) + int(score)
    ranked = sorted(reasons, key=lambda pair: (-scores[pair], pair))[:limit]
    return [
        DuplicatePair(
            first=guests[a],
            second=guests[b],
            reasons=tuple(sorted(reasons[(a, b)])),
            score=scores[(a, b)],
        )
        for a, b in ranked
    ]


def gift_cards_issued_by(*, reference: str) -> list[GiftCard]:
    """The cards a sale issued (`reference`: the sale's "pos.order:<pk>"), for its receipt."""
    return list(GiftCard.objects.filter(source__startswith=f"{reference}:").order_by("pk"))


def formatted_code(code: str) -> str:
    """A card's code as printed: groups of four (ABCD-EFGH-JKLM-NPQR)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
