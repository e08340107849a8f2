"""The derived daily facts: refreshed incrementally they equal a rebuild from the documents."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.models import FolioLine, Ticket, TicketLine
from billing.services.tickets import ticket_void
from core.models import Role
from pms.models import Reservation
from reporting.facts import facts_refresh
from reporting.models import (
    BasketFact,
    DepartureFact,
    FolioFact,
    ProductFact,
    RoomFact,
    SalesFact,
    StayFact,
)
from tests.factories.core import make_staff
from tests.reporting.month import build_month


def snapshot(hotel):
    def rows(model, *fields):
        # a fact's empty fields (no check-out time, no folio) sort like any other value
        return sorted(model.objects.filter(property=hotel).values_list(*fields), key=repr)

    return (
        rows(SalesFact, "day", "outlet", "terminal", "cashier", "category", "hour", "net",
             "discount"),
        rows(ProductFact, "day", "description", "net", "quantity"),
        rows(BasketFact, "day", "outlet", "status", "outlet_kind", "tickets", "net", "covers"),
        rows(RoomFact, "day", "channel", "nights", "revenue"),
        rows(StayFact, "day", "nights", "has_extra", "has_spa", "checkout_minutes"),
        rows(DepartureFact, "day", "category", "net"),
        rows(FolioFact, "day", "folio_id", "net", "engine_net"),
    )  # fmt: skip


@pytest.fixture
def month(hotel):
    staff = [make_staff(hotel, Role.CASHIER, username=f"cashier{i}") for i in range(2)]
    return build_month(hotel, staff)


def test_incremental_refreshes_equal_a_rebuild(hotel, month):
    # given: facts refreshed once, then new sales on an old and a new day, and a void
    assert facts_refresh(property=hotel) > 25
    first = snapshot(hotel)
    facts_refresh(property=hotel)  # nothing new: rebuilding the margin's days changes nothing
    assert snapshot(hotel) == first
    later = timezone.now() + timedelta(minutes=30)
    ticket = Ticket.objects.create(
        property=hotel, number=70001, business_date=month.first, status="paid", outlet="Bar",
        terminal="Caisse Bar", cashier=month.cashiers[1], total=Decimal("12.00"),
        total_vat=Decimal("2.00"), created_at=later,
    )  # fmt: skip
    TicketLine.objects.create(
        ticket=ticket, description="Cocktail", quantity=2, unit_price=Decimal("6.00"),
        total=Decimal("12.00"), vat_rate=Decimal("20.00"), vat_amount=Decimal("2.00"),
        net=Decimal("10.00"), revenue_category="alcohol",
    )  # fmt: skip
    folio = Ticket.objects.filter(property=hotel, folio__isnull=False).first().folio
    FolioLine.objects.create(
        folio=folio, description="Nuit oubliée", quantity=1, unit_price=Decimal("110.00"),
        total=Decimal("110.00"), vat_rate=Decimal("10.00"), vat_amount=Decimal("10.00"),
        net=Decimal("100.00"), revenue_category="accommodation", business_date=month.last,
        service_date=month.first + timedelta(days=2), source="late-night", created_at=later,
    )  # fmt: skip
    victim = Ticket.objects.filter(
        property=hotel, business_date=month.first + timedelta(days=3)
    ).first()
    ticket_void(property=hotel, ticket=victim, actor=month.cashiers[0], reason="erreur")
    # a stay in house checks out; a minibar charge lands on a stay that left weeks ago
    leaving = Reservation.objects.filter(property=hotel, status=Reservation.Status.IN_HOUSE).first()
    Reservation.objects.filter(pk=leaving.pk).update(
        status=Reservation.Status.CHECKED_OUT, checked_out_at=later, departure=month.today
    )
    gone = Reservation.objects.filter(
        property=hotel, status=Reservation.Status.CHECKED_OUT, departure__lt=month.last
    ).first()
    FolioLine.objects.create(
        folio=gone.folio, description="Minibar", quantity=1, unit_price=Decimal("6.00"),
        total=Decimal("6.00"), vat_rate=Decimal("20.00"), vat_amount=Decimal("1.00"),
        net=Decimal("5.00"), revenue_category="drinks", business_date=month.last,
        service_date=month.last, source="late-minibar", created_at=later,
    )  # fmt: skip
    stays_before = StayFact.objects.filter(property=hotel).count()
    # when: the refresh picks up what changed
    facts_refresh(property=hotel, now=later + timedelta(minutes=1))
    incremental = snapshot(hotel)
    assert StayFact.objects.filter(property=hotel).count() == stays_before + 1
    assert DepartureFact.objects.filter(
        property=hotel, day=gone.departure, category="drinks"
    ).exists()
    assert "Cocktail" in {p[1] for p in incremental[1]}
    # then: a rebuild from the documents gives the same rows
    call_command("reporting_rebuild", "--property", hotel.slug)
    assert snapshot(hotel) == incremental
    sold = sum(r[6] for r in incremental[0] if r[0] == month.first + timedelta(days=3))
    raw = sum(
        li.net
        for li in TicketLine.objects.filter(
            ticket__property=hotel, ticket__business_date=month.first + timedelta(days=3)
        ).exclude(ticket=victim)
    )
    assert sold == raw  # the voided ticket left its day


def test_the_rebuild_command_refuses_an_unknown_property(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("reporting_rebuild", "--property", "nowhere")


def test_a_recent_refresh_is_not_repeated_within_max_age(hotel, month):
    facts_refresh(property=hotel)
    Ticket.objects.filter(property=hotel).count()  # nothing changes the facts here
    assert facts_refresh(property=hotel, max_age=timedelta(minutes=1)) == 0
    later = timezone.now() + timedelta(minutes=2)
    assert facts_refresh(property=hotel, now=later, max_age=timedelta(minutes=1)) >= 1
