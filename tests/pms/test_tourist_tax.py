"""Tourist tax posted at check-out (PMS-6): per taxable adult and night, minors exempt,
idempotent, reported for the commune, shown outside VAT on the invoice."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import FolioLine, TouristTaxNight, TouristTaxRate
from billing.services.invoices import invoice_issue
from billing.services.tourist_tax import tourist_tax_post, tourist_tax_report
from core.exceptions import InvalidInput
from core.models import Property
from inventory.models import Channel
from pms.models import Room, RoomAssignment
from pms.services import (
    RoomRequest,
    reservation_check_in,
    reservation_check_out,
    reservation_create,
)
from pms.services.stays import DepartureBalance

pytestmark = pytest.mark.django_db
# the guest pays the whole balance by card as they leave
BY_CARD = DepartureBalance(pay_method="card", pay_reference="TPE-1")
D = Decimal


@pytest.fixture
def tax(hotel):
    hotel.classification = Property.Classification.STARS_3
    hotel.save()
    return TouristTaxRate.objects.create(
        property=hotel,
        classification=Property.Classification.STARS_3,
        valid_from=date(2020, 1, 1),
        amount=D("1.50"),
        departmental_pct=D("10"),
    )


def stay(hotel, guest, room_type, arrival, departure, adults, children):
    reservation = reservation_create(
        property=hotel,
        guest=guest,
        arrival=arrival,
        departure=departure,
        rooms=[RoomRequest(room_type.pk, adults, children)],
        channel=Channel.OTA,
    )
    rr = reservation.rooms.get()
    used = RoomAssignment.objects.values_list("room_id", flat=True)
    free = Room.objects.filter(room_type=room_type).exclude(pk__in=used).first()
    reservation_check_in(reservation=reservation, assignments={rr.pk: free.pk})
    return reservation


def test_check_out_posts_tax_for_adults_only_once(hotel, tax, rooms, guest, day, clerk, manager):
    # given: 2 adults and 1 child, 2 nights, 3★ at 1.50 + 10 %
    reservation = stay(hotel, guest, rooms["familiale"], day(-1), day(1), adults=2, children=1)
    # when
    reservation_check_out(reservation=reservation, actor=clerk, open_balance=BY_CARD)
    reservation_check_out(reservation=reservation, actor=clerk, open_balance=BY_CARD)
    # then
    lines = FolioLine.objects.filter(folio=reservation.folio, revenue_category="tourist_tax")
    assert lines.count() == 2
    assert {line.total for line in lines} == {D("3.30")}
    assert all(line.vat_rate == 0 and line.vat_amount == 0 for line in lines)
    rr = reservation.rooms.get()
    assert sorted(line.source for line in lines) == [
        f"pms.touristtax:{rr.pk}:{day(-1).isoformat()}",
        f"pms.touristtax:{rr.pk}:{day(0).isoformat()}",
    ]
    report = tourist_tax_report(property=hotel, start=day(-10), end=day(1))
    assert report["nights"] == 2
    assert report["taxable_person_nights"] == 4
    assert report["exempt_person_nights"] == 2 and report["exempt_by_reason"] == {"minor": 2}
    assert report["amount"] == D("6.60")
    invoice = invoice_issue(folio=reservation.folio, actor=manager)
    assert invoice.tourist_tax == D("6.60")
    assert all(v.rate != 0 for v in invoice.vat_lines.all())


def test_other_exemptions_and_no_rate_means_no_tax(hotel, tax, rooms, guest, day, clerk):
    reservation = stay(hotel, guest, rooms["classique"], day(0), day(1), adults=2, children=0)
    rr = reservation.rooms.get()
    reservation_check_out(
        reservation=reservation,
        actor=clerk,
        tourist_tax_exemptions={rr.pk: {"seasonal_worker": 1}},
        open_balance=BY_CARD,
    )
    (night,) = TouristTaxNight.objects.filter(folio=reservation.folio)
    assert (night.taxable_persons, night.amount, night.exempt) == (
        1,
        D("1.65"),
        {"seasonal_worker": 1},
    )

    tax.delete()
    other = stay(hotel, guest, rooms["classique"], day(0), day(1), adults=2, children=0)
    reservation_check_out(reservation=other, actor=clerk, open_balance=BY_CARD)
    assert not FolioLine.objects.filter(folio=other.folio, revenue_category="tourist_tax").exists()


def test_unknown_exemption_or_too_many_exempt_is_refused(hotel, tax, rooms, guest, day):
    reservation = stay(hotel, guest, rooms["classique"], day(0), day(1), adults=1, children=0)
    for exemptions in ({"vip": 1}, {"seasonal_worker": 2}, {"minor": 1}):
        with pytest.raises(InvalidInput):
            tourist_tax_post(
                folio=reservation.folio,
                source_prefix="x",
                nights=[day(0)],
                adults=1,
                exemptions=exemptions,
            )
    assert not TouristTaxNight.objects.exists()
