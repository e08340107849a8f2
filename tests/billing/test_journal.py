"""The tamper-evident fiscal journal: chained, append-only, verified, closed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from billing.models import Closure, JournalEntry, Ticket
from billing.services.closures import closure_run
from billing.services.journal import journal_verify
from billing.services.payments import TenderInput
from core.exceptions import InvalidInput
from pos.services.checkout import order_checkout, order_refund
from tests.concurrency import race
from tests.factories.pos import make_terminal
from tests.pos.helpers import line

pytestmark = pytest.mark.django_db


@pytest.fixture
def sell(hotel, catalog, product, staff_of):
    from core.models import Role

    cashier = staff_of(hotel, Role.CASHIER, username="nora")
    terminal = make_terminal(hotel)

    def do(code="spritz", quantity="1"):
        product_ = product(code)
        total = product_.price * Decimal(quantity)
        return order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=[line(product_, quantity)],
            tenders=[TenderInput(method="cash", amount=total)],
        )

    do.cashier = cashier
    return do


def entries(hotel, chain="fiscal"):
    return list(JournalEntry.objects.filter(property=hotel, chain=chain).order_by("sequence"))


def test_a_sale_journals_one_receipt_with_its_tenders_in_a_chain(hotel, sell):
    sell("cafe")
    order = sell("spritz", "2")
    first, receipt = entries(hotel)
    assert (first.kind, first.sequence, first.previous_hash) == ("receipt", 1, "")
    assert (receipt.kind, receipt.sequence, receipt.previous_hash) == ("receipt", 2, first.hash)
    assert receipt.document_number == str(order.ticket)
    assert receipt.gross == Decimal("22.00")
    assert receipt.vat == {"20.00": {"net": "18.33", "vat": "3.67", "gross": "22.00"}}
    assert receipt.payload["tenders"] == [["cash", "22.00", ""]]
    assert receipt.perpetual_total == Decimal("24.50")
    assert journal_verify(property=hotel, chain="fiscal").ok


def test_refund_is_a_new_void_entry_and_totals_stay_perpetual(hotel, sell):
    order = sell("spritz")
    order_refund(order=order, actor=sell.cashier, reason="Erreur de saisie")
    kinds = [e.kind for e in entries(hotel)]
    assert kinds == ["receipt", "void", "payment"]
    last = entries(hotel)[-1]
    assert last.perpetual_total == Decimal("0.00")
    assert last.perpetual_total_abs == Decimal("22.00")
    assert journal_verify(property=hotel, chain="fiscal").ok


def test_fiscal_rows_cannot_be_updated_or_deleted(hotel, sell):
    order = sell()
    entry = entries(hotel)[0]
    for sql in (
        "UPDATE billing_journalentry SET gross = 1 WHERE id = %s",
        "DELETE FROM billing_journalentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [entry.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Ticket.objects.filter(pk=order.ticket.pk).update(total=Decimal("1.00"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        order.ticket.payments.all().delete()
    entry.refresh_from_db()
    assert entry.gross == Decimal("11.00")


def tamper(sql, params):
    """What a database superuser could do: switch the trigger off and edit a row."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks
        cursor.execute("ALTER TABLE billing_journalentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE billing_journalentry ENABLE TRIGGER USER")


def test_verify_journal_names_the_row_changed_with_raw_sql(hotel, sell, capsys):
    for _ in range(3):
        sell()
    call_command("verify_journal")
    assert "OK   les-tests fiscal: 3 entries" in capsys.readouterr().out
    victim = entries(hotel)[2]
    tamper("UPDATE billing_journalentry SET gross = 1.00 WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError) as err:
        call_command("verify_journal")
    assert f"entry id={victim.pk} sequence=3" in str(err.value)
    assert "does not match its hash" in str(err.value)
    failure = JournalEntry.objects.filter(property=hotel, chain="jet", code="90").get()
    assert failure.payload["entry"] == victim.pk


def test_verify_journal_finds_a_deleted_row(hotel, sell):
    for _ in range(3):
        sell()
    victim = entries(hotel)[1]
    tamper("DELETE FROM billing_journalentry WHERE id = %s", [victim.pk])
    result = journal_verify(property=hotel, chain="fiscal")
    assert not result.ok
    assert result.broken.sequence == 3
    assert "sequence 2 is missing" in result.reason


@pytest.mark.django_db(transaction=True)
def test_concurrent_sales_get_consecutive_journal_sequences(hotel, sell):
    results = race([lambda: sell("cafe") for _ in range(12)])
    assert all(not isinstance(r, Exception) for r in results), results
    assert [e.sequence for e in entries(hotel)] == list(range(1, 13))
    assert journal_verify(property=hotel, chain="fiscal").ok


def test_daily_closure_freezes_the_day_and_is_journaled(hotel, sell):
    sell("spritz")
    sell("cafe", "2")
    today = hotel.business_date()
    closure = closure_run(property=hotel, period=Closure.Period.DAY, day=today)
    assert closure.gross == Decimal("16.00")
    assert closure.entries_count == 2
    assert closure.perpetual_total == Decimal("16.00")
    assert closure.vat == {
        "10.00": {"net": "4.55", "vat": "0.45", "gross": "5.00"},
        "20.00": {"net": "9.17", "vat": "1.83", "gross": "11.00"},
    }
    assert closure_run(property=hotel, period=Closure.Period.DAY, day=today) == closure
    assert entries(hotel)[-1].kind == "closure"
    assert JournalEntry.objects.filter(property=hotel, chain="jet", code="50").count() == 1
    with pytest.raises(InvalidInput):
        closure_run(property=hotel, period=Closure.Period.DAY, day=today + timedelta(days=1))
    with pytest.raises(InvalidInput):
        closure_run(property=hotel, period=Closure.Period.MONTH, day=today)
    assert journal_verify(property=hotel, chain="fiscal").ok
    assert journal_verify(property=hotel, chain="jet").ok


def test_sign_in_is_a_technical_event(client, hotel, staff_of):
    from core.models import Role

    staff_of(hotel, Role.FRONT_DESK, username="claire")
    client.post("/login/", {"username": "claire", "password": "pw-secret-123"})
    event = JournalEntry.objects.get(property=hotel, chain="jet")
    assert (event.code, event.actor) == ("80", "claire")


@pytest.mark.django_db(transaction=True)
def test_a_sale_locks_its_journal_chain_not_the_property(hotel, sell):
    """While a sale holds its journal chain, another connection can still lock (and so
    update) the property's row — the manager saving its settings does not wait for the tills
    — but not the chain's tip, which orders the sales."""
    import psycopg

    from billing.lock_objects import journal_head_for_update

    sell()  # the chain exists
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"],
        autocommit=True,
    )
    try:
        with transaction.atomic():
            head = journal_head_for_update(property=hotel, chain=JournalEntry.Chain.FISCAL)
            other.execute(
                "SELECT id FROM core_property WHERE id = %s FOR UPDATE NOWAIT", [hotel.pk]
            )
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(
                    "SELECT id FROM billing_journalhead WHERE id = %s FOR UPDATE NOWAIT",
                    [head.pk],
                )
    finally:
        other.close()
