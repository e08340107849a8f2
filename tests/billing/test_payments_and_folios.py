"""Payments against folios, card-number refusal, the folio detail selector."""

from decimal import Decimal

import pytest

from billing.exceptions import PaymentInvalid
from billing.models import Payment
from billing.selectors import folio_detail
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.payments import TenderInput, looks_like_card_number, payments_record
from core.exceptions import InvalidInput, NotFound
from core.models import AuditEntry

pytestmark = pytest.mark.django_db
D = Decimal


def _charge(total, rate, source):
    return ChargeInput(
        description=f"Charge {source}",
        quantity=D("1"),
        unit_price=D(total),
        total=D(total),
        vat_rate=D(rate),
        revenue_category="food",
        source=source,
    )


@pytest.fixture
def folio(hotel):
    return folio_open(property=hotel, holder_name="Jeanne Dupont")


def test_deposit_and_settlement_against_a_folio(hotel, folio, manager):
    folio_post_charges(folio=folio, charges=[_charge("120.00", "10.00", "n1")])
    payments_record(
        property=hotel,
        folio=folio,
        tenders=[TenderInput(method="bank_transfer", amount=D("50.00"))],
        actor=manager,
    )
    payments_record(
        property=hotel,
        folio=folio,
        tenders=[
            TenderInput(method="card", amount=D("60.00"), terminal_reference="TPE-778"),
            TenderInput(method="voucher", amount=D("10.00"), terminal_reference="CAD-2026-01"),
        ],
        actor=manager,
        amount_due=D("70.00"),
    )
    detail = folio_detail(property=hotel, public_id=folio.public_id)
    assert detail.charges == D("120.00") and detail.paid == D("120.00")
    assert detail.balance == D("0.00")
    assert AuditEntry.objects.filter(action="billing.payment.recorded").count() == 2


def test_settlement_must_match_the_amount_due(hotel, folio, manager):
    with pytest.raises(PaymentInvalid):
        payments_record(
            property=hotel,
            folio=folio,
            tenders=[TenderInput(method="cash", amount=D("69.99"))],
            actor=manager,
            amount_due=D("70.00"),
        )
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "value, expected",
    [
        ("4970101234567890", True),
        ("4970 1012 3456 7890", True),
        ("4970-1012-3456-7890", True),
        ("5555555555554444", True),
        ("AUTH 123456", False),
        ("TX-000123456789", False),  # 12 digits: a terminal transaction id
        ("", False),
    ],
)
def test_card_numbers_are_recognised(value, expected):
    assert looks_like_card_number(value) is expected


def test_a_card_number_is_never_stored_whatever_the_method(hotel, folio, manager):
    with pytest.raises(PaymentInvalid):
        payments_record(
            property=hotel,
            folio=folio,
            tenders=[
                TenderInput(
                    method="wallet", amount=D("5.00"), terminal_reference="4970101234567890"
                )
            ],
            actor=manager,
        )
    assert not Payment.objects.exists()


def test_a_folio_of_another_property_is_refused(hotel, other_hotel, manager):
    foreign = folio_open(property=other_hotel, holder_name="Autre")
    with pytest.raises(InvalidInput):
        payments_record(
            property=hotel,
            folio=foreign,
            tenders=[TenderInput(method="cash", amount=D("5.00"))],
            actor=manager,
        )
    with pytest.raises(NotFound):
        folio_detail(property=hotel, public_id=foreign.public_id)
    assert not Payment.objects.exists()


@pytest.mark.parametrize("count", [3, 40])
def test_folio_detail_is_constant_in_queries(
    hotel, folio, manager, django_assert_num_queries, count
):
    folio_post_charges(
        folio=folio,
        charges=[
            _charge("10.00" if i % 2 else "22.00", "10.00" if i % 2 else "20.00", f"c{i}")
            for i in range(count)
        ],
    )
    for _ in range(count // 3 + 1):
        payments_record(
            property=hotel,
            folio=folio,
            tenders=[TenderInput(method="cash", amount=D("1.00"))],
            actor=manager,
        )
    with django_assert_num_queries(3):
        detail = folio_detail(property=hotel, public_id=folio.public_id)
    assert len(detail.lines) == count
    assert [row["rate"] for row in detail.vat] == [D("20.00"), D("10.00")]
    assert sum(row["gross"] for row in detail.vat) == detail.charges


@pytest.mark.django_db(transaction=True)
def test_two_desks_settling_the_same_folio_at_once_pay_it_once(hotel, folio, manager):
    """Two receptionists press "settle" for the whole balance at the same moment: one payment
    goes through, the other is told the balance is already paid — never paid twice."""
    from billing.services.payments import folio_settle
    from tests.concurrency import race

    folio_post_charges(folio=folio, charges=[_charge("80.00", "10.00", "n1")])

    def settle():
        return folio_settle(
            property=hotel,
            folio=folio,
            tenders=[TenderInput(method="card", amount=D("80.00"), terminal_reference="T1")],
            actor=manager,
        )

    results = race([settle, settle])

    assert sum(isinstance(r, list) for r in results) == 1
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], InvalidInput)
    # the balance left: nothing (a thread speaks the site's language, French)
    assert "(0,00\u00a0€)" in str(refused[0].message)
    assert Payment.objects.filter(folio=folio).count() == 1
