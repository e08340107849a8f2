"""Alerts (REP-2): each rule fires on its cause, once per cause, clears when a state cause is
gone; managers acknowledge with a note; a digest goes out through the outbox once."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import Ticket, TicketLine
from billing.services.journal import JET_VERIFICATION_FAILED, JET_VERIFICATION_PASSED, jet_event
from channels_sync.models import ChannelConnection
from core.models import OutboxMessage, Role
from devices.models import Printer, PrintJob
from inventory.models import CapacityBucket, CapacityPool
from pms.models import Reservation
from pos.models import CashSession
from reporting.models import Alert, AlertSettings
from reporting.services import alert_acknowledge, alert_digest_request, alerts_evaluate
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal
from tests.factories.stays import make_room, make_stay
from tests.reporting.month import build_month


def kinds(hotel):
    return sorted(
        Alert.objects.filter(property=hotel, resolved_at=None).values_list("kind", flat=True)
    )


@pytest.fixture
def stock(hotel):
    pool = CapacityPool.objects.create(
        property=hotel, code="paniers", name="Paniers gourmands", kind="stock", reorder_point=3
    )
    bucket = CapacityBucket.objects.create(pool=pool, capacity=10, sold=6)
    return bucket


def test_low_stock_alerts_once_and_clears_when_restocked(hotel, stock):
    assert alerts_evaluate(property=hotel) == []
    CapacityBucket.objects.filter(pk=stock.pk).update(sold=7)  # 3 left: the reorder point
    assert [a.kind for a in alerts_evaluate(property=hotel)] == ["low_stock"]
    assert alerts_evaluate(property=hotel) == []  # the same cause: no second alert
    assert Alert.objects.filter(property=hotel).count() == 1
    CapacityBucket.objects.filter(pk=stock.pk).update(capacity=30)  # received
    alerts_evaluate(property=hotel)
    assert kinds(hotel) == []
    CapacityBucket.objects.filter(pk=stock.pk).update(sold=28)
    assert [a.kind for a in alerts_evaluate(property=hotel)] == ["low_stock"]  # a new episode


@pytest.fixture
def month(hotel):
    staff = [make_staff(hotel, Role.CASHIER, username=f"cashier{i}") for i in range(2)]
    return build_month(hotel, staff)


def _ticket(hotel, month, *, net_gross, day, number, cashier=None, discount=Decimal(0)):
    ticket = Ticket.objects.create(
        property=hotel,
        number=number,
        business_date=day,
        status="paid",
        outlet="Bar",
        terminal="Caisse Bar",
        cashier=cashier or month.cashiers[0],
        total=net_gross,
        total_vat=Decimal(0),
    )
    TicketLine.objects.create(
        ticket=ticket,
        description="Champagne",
        quantity=1,
        unit_price=net_gross,
        total=net_gross,
        vat_rate=0,
        vat_amount=0,
        net=net_gross,
        revenue_category="alcohol",
        discount=discount,
    )
    return ticket


def test_an_unusual_basket_is_flagged_with_k_configurable(hotel, month):
    huge = _ticket(hotel, month, net_gross=Decimal("900.00"), day=month.today, number=90001)
    alerts_evaluate(property=hotel, today=month.today)
    causes = set(Alert.objects.filter(kind="basket").values_list("cause", flat=True))
    assert f"basket:{huge.pk}" in causes
    Alert.objects.all().delete()
    AlertSettings.objects.create(property=hotel, basket_k=Decimal("900"))
    alerts_evaluate(property=hotel, today=month.today)
    assert not Alert.objects.filter(kind="basket").exists()


def test_a_discount_rate_far_above_the_team_is_flagged(hotel, month):
    generous = make_staff(hotel, Role.CASHIER, username="generous")
    yesterday = month.today - timedelta(days=1)
    for i in range(12):
        _ticket(
            hotel,
            month,
            net_gross=Decimal("20.00"),
            day=yesterday,
            number=80000 + i,
            cashier=generous,
            discount=Decimal("10.00"),
        )
    alerts_evaluate(property=hotel, today=month.today)
    alert = Alert.objects.get(kind="discounts")
    assert alert.data["employee"] == "generous"
    assert not Alert.objects.filter(kind="discounts", data__employee="cashier0").exists()


def test_cash_feed_print_journal_and_night_audit(hotel, manager):
    terminal = make_terminal(hotel)
    now = timezone.now()
    today = hotel.business_date()
    CashSession.objects.create(
        property=hotel,
        terminal=terminal,
        status="closed",
        business_date=today,
        opening_float=100,
        opened_by=manager,
        opened_at=now,
        closed_at=now,
        counted_cash=75,
        expected_cash=100,
        difference=Decimal("-25.00"),
    )
    other = make_terminal(hotel, name="Caisse 2")
    CashSession.objects.create(
        property=hotel,
        terminal=other,
        status="closed",
        business_date=today,
        opening_float=100,
        opened_by=manager,
        opened_at=now,
        closed_at=now,
        counted_cash=95,
        expected_cash=100,
        difference=Decimal("-5.00"),
    )
    feed = ChannelConnection.objects.create(
        property=hotel,
        room=make_room(hotel, "7"),
        kind="airbnb",
        url="https://example.org/x.ics",
        last_status="failed",
        last_message="HTTP 500",
    )
    printer = Printer.objects.create(
        property=hotel, code="bar", name="Bar", connection="file", file_path="/dev/null"
    )
    PrintJob.objects.create(
        property=hotel,
        printer=printer,
        kind="test",
        status="failed",
        idempotency_key="t1",
        last_error="paper out",
    )
    jet_event(property=hotel, code=JET_VERIFICATION_FAILED, actor=SimpleNamespace(username="x"))
    make_stay(hotel)  # in house since yesterday: last night was never posted
    alerts_evaluate(property=hotel)
    assert kinds(hotel) == ["cash", "ical", "journal", "night_audit", "print"]
    from reporting.services import alert_message

    ical = Alert.objects.get(kind="ical")
    assert "is Failed: HTTP 500" in alert_message(ical)
    cash = Alert.objects.get(kind="cash")
    assert "a difference of -25.00" in alert_message(cash)
    # fixed: the feed works, the journal verifies; the drawer's difference stays until seen
    ChannelConnection.objects.filter(pk=feed.pk).update(last_status="ok")
    jet_event(property=hotel, code=JET_VERIFICATION_PASSED, actor=SimpleNamespace(username="x"))
    Reservation.objects.update(status="cancelled")
    alerts_evaluate(property=hotel)
    assert kinds(hotel) == ["cash", "print"]


def test_acknowledge_with_a_note_once(hotel, manager, stock):
    CapacityBucket.objects.filter(pk=stock.pk).update(sold=9)
    (alert,) = alerts_evaluate(property=hotel)
    alert_acknowledge(alert=alert, actor=manager, note="Commande passée")
    alert.refresh_from_db()
    assert alert.acknowledged_by == manager and alert.note == "Commande passée"
    from core.exceptions import InvalidInput

    with pytest.raises(InvalidInput):
        alert_acknowledge(alert=alert, actor=manager, note="again")
    assert alerts_evaluate(property=hotel) == []  # acknowledged, still low: not raised again


def test_the_digest_goes_once_through_the_outbox(hotel, manager, stock, celery_eager, settings):
    manager.email = "manager@example.org"
    manager.save()
    CapacityBucket.objects.filter(pk=stock.pk).update(sold=9)
    alerts_evaluate(property=hotel)
    from django.db import transaction

    with transaction.atomic():
        assert alert_digest_request(property=hotel) == 1
        assert OutboxMessage.objects.filter(task="reporting.tasks.alert_digest_task").count() == 1
    assert alert_digest_request(property=hotel) == 0


@pytest.mark.django_db(transaction=True)
def test_the_digest_e_mail_is_sent_after_commit(celery_eager):
    from tests.factories.core import PropertyFactory

    hotel = PropertyFactory(slug="digest", default_language="en")
    boss = make_staff(hotel, Role.MANAGER, username="boss")
    boss.email = "boss@example.org"
    boss.save()
    pool = CapacityPool.objects.create(
        property=hotel, code="vin", name="Vin", kind="stock", reorder_point=5
    )
    CapacityBucket.objects.create(pool=pool, capacity=4, sold=0)
    alerts_evaluate(property=hotel)
    alert_digest_request(property=hotel)
    assert len(mail.outbox) == 1
    assert "1 new alert" in mail.outbox[0].subject
    assert "Vin: 4 left" in mail.outbox[0].body
    assert mail.outbox[0].to == ["boss@example.org"]


def test_a_drawer_closed_short_raises_its_alert_in_the_closing_transaction(hotel, manager):
    """No beat needed: the close itself raises the alert, once, and a small difference none."""
    from django.db import transaction

    from pos.services.cash import cash_session_close, cash_session_open

    short = cash_session_open(
        terminal=make_terminal(hotel), actor=manager, opening_float=Decimal("100")
    )
    with transaction.atomic():
        cash_session_close(session=short, actor=manager, counted_cash=Decimal("75.00"))
        alert = Alert.objects.get(property=hotel, kind="cash")
        assert alert.data["difference"] == "-25.00"
        assert alert.cause == f"cash:{short.pk}"
    # the beat finds the same cause and adds nothing
    alerts_evaluate(property=hotel)
    assert Alert.objects.filter(property=hotel, kind="cash").count() == 1

    close = cash_session_open(
        terminal=make_terminal(hotel, name="Caisse 2"), actor=manager, opening_float=Decimal("50")
    )
    cash_session_close(session=close, actor=manager, counted_cash=Decimal("45.50"))
    assert not Alert.objects.filter(cause=f"cash:{close.pk}").exists()
