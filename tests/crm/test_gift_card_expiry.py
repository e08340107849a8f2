"""The expiry beat: cards and vouchers past their date close; what a multi-purpose card
still held leaves the liability as income in the day's accounting entries (balanced), a
promotional voucher (never sold) books nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.services.accounting import daily_entries
from crm.models import GiftCard, GiftCardMovement
from crm.services.gift_cards import gift_card_issue
from crm.tasks import gift_cards_expire_task
from inventory.models import GiftCardKind

pytestmark = pytest.mark.django_db


def test_expired_multi_purpose_balances_are_booked_as_breakage(hotel):
    today = hotel.business_date()
    past = today - timedelta(days=400)
    gift = gift_card_issue(
        property=hotel,
        amount=Decimal("50.00"),
        kind=GiftCardKind.MULTI_PURPOSE,
        source="test:gift",
        today=past,
    )
    promo = gift_card_issue(
        property=hotel,
        amount=Decimal("20.00"),
        kind=GiftCardKind.PROMOTIONAL,
        source="test:promo",
        today=past,
    )
    live = gift_card_issue(
        property=hotel, amount=Decimal("30.00"), kind=GiftCardKind.MULTI_PURPOSE, source="t:l"
    )

    assert gift_cards_expire_task() == 2
    assert gift_cards_expire_task() == 0  # the beat again: nothing twice

    for card, status in ((gift, "expired"), (promo, "expired"), (live, "active")):
        card.refresh_from_db()
        assert card.status == status
    assert GiftCardMovement.objects.get(card=gift, kind="expire").amount == Decimal("-50.00")
    entries = [e for e in daily_entries(property=hotel, day=today) if e.piece.startswith("BC-")]
    assert len(entries) == 1
    (entry,) = entries
    assert entry.debit == entry.credit == Decimal("50.00")
    assert {(li.account, li.debit, li.credit) for li in entry.lines} == {
        ("419800", Decimal("50.00"), Decimal("0")),
        ("758800", Decimal("0"), Decimal("50.00")),
    }
    assert GiftCard.objects.filter(status="active").count() == 1
