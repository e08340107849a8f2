"""Likely duplicates (normalised e-mail and phone, fuzzy name + date of birth) and their
merge: every stay and sale follows the profile kept, fiscal documents stay byte-identical."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Invoice, JournalEntry, Ticket
from billing.services.invoices import invoice_issue
from billing.services.verification import property_verify
from core.models import AuditEntry
from crm.matching import email_key, phone_key
from crm.models import GiftCard, Guest, LoyaltyMovement
from crm.selectors import duplicate_pairs
from crm.services import guest_create
from crm.services.gift_cards import gift_card_issue
from crm.services.loyalty import loyalty_balance, loyalty_earn
from crm.services.merge import guests_merge
from pms.models import Reservation
from pos.models import Order
from pos.services.checkout import order_checkout
from tests.factories.stays import make_stay
from tests.pos.helpers import line


def test_keys_fold_the_ways_people_type_the_same_address_and_number():
    assert email_key(" Lea.Martin+resa@GMail.com ") == "leamartin@gmail.com"
    assert email_key("lea@exemple.fr") == "lea@exemple.fr"
    assert phone_key("06 12 34 56 78") == phone_key("+33 6 12 34 56 78") == "+33612345678"
    assert phone_key("0044 20 7946 0958", country="GB") == "+442079460958"
    assert phone_key("not a number") == ""


def test_duplicates_are_found_by_email_phone_and_similar_name_with_birth_date(hotel):
    org = hotel.organization
    a = guest_create(organization=org, last_name="Martin", first_name="Léa", email="lea@x.fr")
    b = guest_create(organization=org, last_name="MARTIN", first_name="Lea", email="LEA@x.fr")
    c = guest_create(organization=org, last_name="Durand", first_name="Paul", phone="0612345678")
    d = guest_create(organization=org, last_name="Durand", first_name="P.", phone="+33612345678")
    e = guest_create(organization=org, last_name="Lefebvre", first_name="Anne")
    f = guest_create(organization=org, last_name="Lefèvre", first_name="Anne")
    g = guest_create(organization=org, last_name="Lefebvre", first_name="Anne")  # no birth date
    born = date(1980, 5, 17)
    Guest.objects.filter(pk__in=[e.pk, f.pk]).update(birth_date=born)
    Guest.objects.filter(pk=g.pk).update(birth_date=date(1990, 1, 1))
    stranger = guest_create(organization=org, last_name="Petit", first_name="Marc")
    Guest.objects.filter(pk=stranger.pk).update(birth_date=born)
    pairs = {(p.first.pk, p.second.pk): p.reasons for p in duplicate_pairs(organization_id=org.pk)}
    assert pairs == {
        (a.pk, b.pk): ("same e-mail",),
        (c.pk, d.pk): ("same phone",),
        (e.pk, f.pk): ("similar name, same date of birth",),
    }


@pytest.fixture
def two_profiles(hotel, catalog, product, terminal, cashier, manager):
    """One person booked twice under two profiles: a stay with its folio, an invoice, POS
    sales, points and a gift card on the duplicate."""
    keep = guest_create(organization=hotel.organization, last_name="Dupont", first_name="Jeanne")
    stay = make_stay(hotel, room_number="12", last_name="Dupont")
    duplicate = stay.reservation.guest
    Guest.objects.filter(pk=duplicate.pk).update(email="jeanne@example.fr", notes="Allergic")
    order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("spritz"))],
        room_number="12",
    )
    invoice_issue(folio=stay.reservation.folio, actor=manager)
    from crm.models import LoyaltyEarnRule, LoyaltyProgram

    program = LoyaltyProgram.objects.create(organization=hotel.organization)
    LoyaltyEarnRule.objects.create(
        program=program, revenue_category="alcohol", points_per_euro=Decimal("1")
    )
    loyalty_earn(guest=duplicate, spend=[("alcohol", Decimal("40"))], key="old-sale")
    loyalty_earn(guest=keep, spend=[("alcohol", Decimal("5"))], key="other-sale")
    gift_card_issue(
        property=hotel, amount=Decimal("20"), kind="multi_purpose", source="t", guest=duplicate
    )
    return keep, duplicate.__class__.objects.get(pk=duplicate.pk)


def _fiscal_rows():
    """Every column of every fiscal document row, as stored."""
    return {
        "tickets": list(Ticket.objects.order_by("pk").values()),
        "invoices": list(Invoice.objects.order_by("pk").values()),
        "journal": list(JournalEntry.objects.order_by("pk").values()),
    }


def test_a_merge_keeps_every_stay_and_sale_and_fiscal_documents_are_byte_identical(
    hotel, two_profiles, manager
):
    keep, duplicate = two_profiles
    before = _fiscal_rows()
    assert Ticket.objects.filter(guest=duplicate).exists()
    assert Invoice.objects.filter(guest=duplicate).exists()

    guests_merge(keep=keep, duplicate=duplicate, actor=manager)

    assert _fiscal_rows() == before
    assert not property_verify(property=hotel).problems
    assert Reservation.objects.get().guest_id == keep.pk
    assert Order.objects.get().guest_id == keep.pk
    assert keep.folios.count() == 1
    assert GiftCard.objects.get().guest_id == keep.pk
    assert loyalty_balance(guest=keep) == 45 and loyalty_balance(guest=duplicate) == 0
    assert LoyaltyMovement.objects.filter(kind="merge").count() == 2
    keep.refresh_from_db()
    duplicate.refresh_from_db()
    assert keep.email == "jeanne@example.fr" and "Allergic" in keep.notes
    assert duplicate.merged_into_id == keep.pk
    audit = AuditEntry.objects.get(action="crm.guest.merged")
    assert audit.data["duplicate"] == duplicate.pk
    assert audit.data["moved"]["pms.reservation"] == 1
    # merged profiles are no longer suggested, and a second merge is refused
    assert duplicate_pairs(organization_id=hotel.organization_id) == []
    from core.exceptions import InvalidInput

    with pytest.raises(InvalidInput, match="already been merged"):
        guests_merge(keep=keep, duplicate=duplicate, actor=manager)


def test_profiles_of_two_organisations_are_not_merged(hotel, other_hotel, manager):
    from core.exceptions import InvalidInput

    a = guest_create(organization=hotel.organization, last_name="A")
    b = guest_create(organization=other_hotel.organization, last_name="A")
    if hotel.organization_id == other_hotel.organization_id:
        pytest.fail("the fixtures must be two organisations")
    with pytest.raises(InvalidInput, match="different organisations"):
        guests_merge(keep=a, duplicate=b, actor=manager)
    assert not Guest.objects.filter(merged_into__isnull=False).exists()
