"""A daily closure ends its business day: later documents take the next day, the closure's
totals stay the sum of its day's documents, and closures come in order."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from billing.exceptions import DayClosed
from billing.models import Closure, JournalEntry, Ticket
from billing.services.closures import closure_run, closures_run_due
from billing.services.journal import fiscal_totals, journal_verify
from billing.services.payments import TenderInput
from core.exceptions import InvalidInput
from core.models import Property, Role
from pos.services.checkout import order_checkout
from tests.factories.pos import make_terminal
from tests.pos.helpers import line

pytestmark = pytest.mark.django_db


@pytest.fixture
def sell(hotel, catalog, product, staff_of):
    cashier = staff_of(hotel, Role.CASHIER, username="nora")
    terminal = make_terminal(hotel)

    def do(code="cafe", *, property=None):
        product_ = product(code)
        return order_checkout(
            property=property or hotel,
            terminal=terminal,
            actor=cashier,
            lines=[line(product_, "1")],
            tenders=[TenderInput(method="cash", amount=product_.price)],
        )

    return do


@pytest.fixture
def days_ago(monkeypatch):
    """Move the clock back by whole days (documents of earlier business days)."""
    real_now = timezone.now

    def move(days):
        monkeypatch.setattr(timezone, "now", lambda: real_now() - timedelta(days=days))

    move.back = lambda: monkeypatch.setattr(timezone, "now", real_now)
    return move


def day_gross(hotel, day):
    return Ticket.objects.filter(property=hotel, business_date=day).aggregate(t=Sum("total"))["t"]


def test_a_sale_after_the_daily_closure_lands_on_the_next_business_date(hotel, sell):
    sell("spritz")
    today = hotel.business_date()
    closure = closure_run(property=hotel, period=Closure.Period.DAY, day=today)
    late = sell("cafe")

    assert late.ticket.business_date == today + timedelta(days=1)
    assert Property.objects.get(pk=hotel.pk).business_date() == today + timedelta(days=1)
    # the closure counted exactly its day's documents, and still does
    assert closure.gross == day_gross(hotel, today) == Decimal("11.00")
    assert fiscal_totals(property=hotel, start=today, end=today + timedelta(days=1))[
        "gross"
    ] == Decimal("11.00")
    assert journal_verify(property=hotel, chain="fiscal").ok


def test_a_sale_dated_before_the_closure_committed_is_refused_and_writes_nothing(hotel, sell):
    stale = Property.objects.get(pk=hotel.pk)  # read by a till before the closure
    sell("spritz")
    today = hotel.business_date()
    closure_run(property=hotel, period=Closure.Period.DAY, day=today)
    tickets = Ticket.objects.count()
    with pytest.raises(DayClosed):
        sell("cafe", property=stale)
    assert Ticket.objects.count() == tickets
    assert Closure.objects.get(property=hotel, start=today).gross == day_gross(hotel, today)


def test_days_are_closed_in_order(hotel, sell, days_ago):
    today = hotel.business_date()
    days_ago(2)
    sell("cafe")
    days_ago.back()
    sell("cafe")
    with pytest.raises(InvalidInput, match="close .* first"):
        closure_run(property=hotel, period=Closure.Period.DAY, day=today)
    assert not Closure.objects.filter(property=hotel).exists()
    closure_run(property=hotel, period=Closure.Period.DAY, day=today - timedelta(days=2))
    closure_run(property=hotel, period=Closure.Period.DAY, day=today)
    # a day before the last closed one (no sales on it) can no longer be closed
    with pytest.raises(InvalidInput, match="in order"):
        closure_run(property=hotel, period=Closure.Period.DAY, day=today - timedelta(days=1))
    assert journal_verify(property=hotel, chain="fiscal").ok


def test_a_month_closes_only_after_all_its_days(hotel, sell, days_ago):
    first = hotel.business_date().replace(day=1)
    last_month_day = first - timedelta(days=3)
    days_ago((hotel.business_date() - last_month_day).days)
    sell("cafe")
    days_ago.back()
    with pytest.raises(InvalidInput, match="Close every day"):
        closure_run(property=hotel, period=Closure.Period.MONTH, day=last_month_day)
    closure_run(property=hotel, period=Closure.Period.DAY, day=last_month_day)
    month = closure_run(property=hotel, period=Closure.Period.MONTH, day=last_month_day)
    assert month.gross == Decimal("2.50")


def test_the_nightly_run_closes_every_open_day_in_order(hotel, sell, days_ago):
    today = hotel.business_date()
    days_ago(3)
    sell("cafe")
    days_ago(2)
    sell("cafe")
    days_ago.back()
    closures_run_due(property=hotel)
    closed = Closure.objects.filter(property=hotel, period=Closure.Period.DAY)
    assert sorted(c.start for c in closed) == [
        today - timedelta(days=3),
        today - timedelta(days=2),
        today - timedelta(days=1),
    ]
    assert JournalEntry.objects.filter(property=hotel, kind="closure").count() >= 3


def test_a_room_night_posted_late_for_a_closed_day_counts_on_the_next_open_day(hotel):
    from billing.services.folios import ChargeInput, folio_open, folio_post_charges

    today = hotel.business_date()
    closure_run(property=hotel, period=Closure.Period.DAY, day=today)
    folio = folio_open(property=hotel, holder_name="Jeanne")
    (night,) = folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput(
                "Chambre", Decimal("1"), Decimal("90"), Decimal("90"), Decimal("10"), "room"
            )
        ],
        business_date=today,
    )
    assert night.business_date == today + timedelta(days=1)
