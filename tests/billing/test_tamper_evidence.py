"""Tamper evidence over every fiscal document, not only the journal's own rows.

Each attack is what someone with the database superuser's password could do: switch the
triggers off (`session_replication_role = replica`, which also skips foreign-key checks) and
rewrite or remove a row. `verify_journal` must then exit non-zero naming the document; once
the change is undone, it passes again."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from billing.models import (
    Closure,
    Invoice,
    JournalCheckpoint,
    JournalEntry,
    JournalHead,
    Payment,
    Ticket,
    TicketLine,
)
from billing.services.closures import closure_run
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoices import credit_note_issue, invoice_issue
from billing.services.journal import entry_hash
from billing.services.payments import TenderInput, payments_record
from billing.services.verification import property_verify
from core.models import Role
from pos.services.checkout import order_checkout
from tests.factories.pos import make_terminal
from tests.pos.helpers import line

pytestmark = pytest.mark.django_db
D = Decimal


class Restore(Exception):
    """Raised to roll an attack back."""


def superuser(sql, params=()):
    """Run `sql` as the superuser would, triggers and foreign-key checks off."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK check of the fixture
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = origin")


@pytest.fixture
def books(hotel, catalog, product, staff_of):
    """A day of a small hotel: three bar sales, an invoice paid by card, a credit note, the
    day's closure, then one more sale."""
    hotel.legal_name, hotel.siret, hotel.vat_number = "SARL Tests", "12345678900012", "FR1"
    hotel.save()
    cashier = staff_of(hotel, Role.CASHIER, username="nora")
    manager = staff_of(hotel, Role.MANAGER, username="boss")
    terminal = make_terminal(hotel)

    def sell(code, method="cash"):
        item = product(code)
        ref = "TPE-42" if method == "card" else ""
        return order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=[line(item, "1")],
            tenders=[TenderInput(method=method, amount=item.price, terminal_reference=ref)],
        ).ticket

    tickets = [sell("cafe"), sell("spritz", "card"), sell("cafe")]
    folio = folio_open(property=hotel, holder_name="Jeanne Dupont")
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput(
                description="Chambre double",
                quantity=D("1"),
                unit_price=D("110.00"),
                total=D("110.00"),
                vat_rate=D("10.00"),
                revenue_category="room",
                source="pms.night:1:a",
            )
        ],
    )
    payments_record(
        property=hotel,
        folio=folio,
        tenders=[TenderInput(method="card", amount=D("110.00"), terminal_reference="TPE-7")],
        actor=manager,
    )
    invoice = invoice_issue(folio=folio, actor=manager)
    note = credit_note_issue(invoice=invoice, actor=manager, reason="Erreur")
    closure = closure_run(property=hotel, period=Closure.Period.DAY, day=hotel.business_date())
    tickets.append(sell("spritz"))
    return {"tickets": tickets, "invoice": invoice, "note": note, "closure": closure}


def fiscal(hotel):
    return list(JournalEntry.objects.filter(property=hotel, chain="fiscal").order_by("sequence"))


def _recompute_hash(entry_id):
    entry = JournalEntry.objects.get(pk=entry_id)
    entry.gross = D("1.00")
    superuser(
        "UPDATE billing_journalentry SET gross = 1.00, hash = %s WHERE id = %s",
        [entry_hash(entry), entry_id],
    )


ATTACKS = {
    "ticket total": lambda b, h: (
        superuser("UPDATE billing_ticket SET total = 1.00 WHERE id = %s", [b["tickets"][0].pk]),
        "T000001",
    ),
    "ticket line price": lambda b, h: (
        superuser(
            "UPDATE billing_ticketline SET unit_price = 0.50, total = 0.50 WHERE id = %s",
            [TicketLine.objects.filter(ticket=b["tickets"][1]).first().pk],
        ),
        "T000002",
    ),
    "delete the last ticket": lambda b, h: (
        superuser("DELETE FROM billing_ticket WHERE id = %s", [b["tickets"][-1].pk]),
        "T000004",
    ),
    "payment amount": lambda b, h: (
        superuser(
            "UPDATE billing_payment SET amount = 0.10 WHERE ticket_id = %s",
            [b["tickets"][0].pk],
        ),
        "T000001",
    ),
    "folio payment amount": lambda b, h: (
        superuser(
            "UPDATE billing_payment SET amount = 10.00 WHERE folio_id = %s",
            [b["invoice"].folio_id],
        ),
        "payments of",
    ),
    "invoice total": lambda b, h: (
        superuser("UPDATE billing_invoice SET total = 1.00 WHERE id = %s", [b["invoice"].pk]),
        b["invoice"].number,
    ),
    "invoice buyer name": lambda b, h: (
        superuser(
            "UPDATE billing_invoice SET buyer = jsonb_set(buyer, '{name}', '\"Zed\"') "
            "WHERE id = %s",
            [b["invoice"].pk],
        ),
        b["invoice"].number,
    ),
    "delete a credit note": lambda b, h: (
        superuser("DELETE FROM billing_invoice WHERE id = %s", [b["note"].pk]),
        b["note"].number,
    ),
    "journal gross (middle)": lambda b, h: (
        superuser("UPDATE billing_journalentry SET gross = 1.00 WHERE id = %s", [fiscal(h)[1].pk]),
        "T000002",
    ),
    "journal gross and its hash": lambda b, h: (_recompute_hash(fiscal(h)[1].pk), "T000002"),
    "delete a journal row (middle)": lambda b, h: (
        superuser("DELETE FROM billing_journalentry WHERE id = %s", [fiscal(h)[1].pk]),
        "T000002",
    ),
    "delete the journal's last row": lambda b, h: (
        superuser("DELETE FROM billing_journalentry WHERE id = %s", [fiscal(h)[-1].pk]),
        "T000004",
    ),
    "closure gross": lambda b, h: (
        superuser("UPDATE billing_closure SET gross = 1.00 WHERE id = %s", [b["closure"].pk]),
        f"day closure of {b['closure'].start}",
    ),
    "delete a closure": lambda b, h: (
        superuser("DELETE FROM billing_closure WHERE id = %s", [b["closure"].pk]),
        f"day closure of {b['closure'].start}",
    ),
}


def test_the_untouched_books_verify(books, capsys):
    call_command("verify_journal")
    out = capsys.readouterr().out
    assert "OK   les-tests fiscal:" in out and "BROKEN" not in out
    passed = JournalEntry.objects.filter(chain="jet", code="91").get()
    assert passed.payload["result"] == "ok" and passed.payload["checkpoint"] is not None
    assert passed.actor.startswith("manage.py")


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_each_attack_is_named_then_passes_once_restored(books, hotel, attack, capsys):
    with pytest.raises(Restore), transaction.atomic():
        _, document = ATTACKS[attack](books, hotel)
        with pytest.raises(CommandError) as err:
            call_command("verify_journal")
        broken = [li for li in capsys.readouterr().out.splitlines() if li.startswith("BROKEN")]
        assert str(err.value) == broken[0]  # exits with the first finding
        assert any(document in li for li in broken), broken
        failed = JournalEntry.objects.filter(chain="jet", code="90").get()
        assert failed.payload["first"] in broken[0]
        raise Restore
    call_command("verify_journal")  # restored: passes again


def test_a_forged_ticket_without_entry_is_named(books, hotel):
    ticket = books["tickets"][0]
    superuser(
        "INSERT INTO billing_ticket (created_at, updated_at, property_id, public_id, number, "
        "business_date, status, outlet, terminal, cashier_id, total, total_vat, tip, currency) "
        "SELECT now(), now(), property_id, gen_random_uuid(), 99, business_date, status, "
        "outlet, terminal, cashier_id, total, total_vat, tip, currency FROM billing_ticket "
        "WHERE id = %s",
        [ticket.pk],
    )
    problems = [str(p) for p in property_verify(property=hotel).problems]
    assert any("T000099: the ticket has no journal entry" in p for p in problems), problems
    assert any("T000005: missing from the numbering" in p for p in problems), problems


def test_a_forged_folio_payment_without_entry_is_named(books, hotel):
    folio_id = books["invoice"].folio_id
    superuser(
        "INSERT INTO billing_payment (property_id, method, amount, change, terminal_reference, "
        "folio_id, business_date, terminal, created_at) "
        "VALUES (%s, 'cash', -50.00, 0, '', %s, now()::date, '', now())",
        [hotel.pk, folio_id],
    )
    problems = [str(p) for p in property_verify(property=hotel).problems]
    assert any(
        f"(-€50.00 on folio {folio_id}): the payment has no journal entry" in p for p in problems
    ), problems


def test_a_truncated_chain_with_its_head_reset_is_caught_by_the_signed_checkpoint(books, hotel):
    """The attacker removes every entry from the closure on and resets the head, so the
    chain left is valid; the checkpoint signed at the closure still names the loss."""
    checkpoint = JournalCheckpoint.objects.get(property=hotel, chain="fiscal")
    closure_entry = books["closure"].journal_entry
    assert checkpoint.sequence == closure_entry.sequence
    last_kept = JournalEntry.objects.get(
        property=hotel, chain="fiscal", sequence=closure_entry.sequence - 1
    )
    superuser(
        "DELETE FROM billing_journalentry WHERE property_id = %s AND chain = 'fiscal' "
        "AND sequence >= %s",
        [hotel.pk, closure_entry.sequence],
    )
    superuser("DELETE FROM billing_ticket WHERE id = %s", [books["tickets"][-1].pk])
    superuser("DELETE FROM billing_closure WHERE id = %s", [books["closure"].pk])
    superuser(
        "UPDATE billing_numbersequence SET next_value = 4 WHERE property_id = %s "
        "AND series = 'ticket'",
        [hotel.pk],
    )
    superuser(
        "UPDATE billing_journalhead SET last_sequence = %s, last_hash = %s, "
        "perpetual_total = %s, perpetual_total_abs = %s WHERE property_id = %s "
        "AND chain = 'fiscal'",
        [
            last_kept.sequence,
            last_kept.hash,
            last_kept.perpetual_total,
            last_kept.perpetual_total_abs,
            hotel.pk,
        ],
    )
    result = property_verify(property=hotel)
    assert not result.ok
    assert last_kept.sequence + 1 == checkpoint.sequence
    assert str(result.first).startswith(f"fiscal #{checkpoint.sequence}: entries missing")
    assert "checkpoint signed" in str(result.first)


def test_a_forged_checkpoint_signature_is_refused(books, hotel):
    checkpoint = JournalCheckpoint.objects.get(property=hotel, chain="fiscal")
    superuser(
        "UPDATE billing_journalcheckpoint SET sequence = sequence + 100 WHERE id = %s",
        [checkpoint.pk],
    )
    problems = [str(p) for p in property_verify(property=hotel).problems]
    assert any("signature does not match" in p for p in problems), problems


def test_the_head_must_equal_the_last_entry(books, hotel):
    superuser(
        "UPDATE billing_journalhead SET last_sequence = last_sequence + 3 "
        "WHERE property_id = %s AND chain = 'fiscal'",
        [hotel.pk],
    )
    head = JournalHead.objects.get(property=hotel, chain="fiscal")
    result = property_verify(property=hotel)
    assert f"head is at #{head.last_sequence}" in str(result.first)


def test_the_beat_task_verifies_records_and_alerts_the_managers(books, hotel, mailoutbox):
    from django.contrib.auth import get_user_model

    from billing.tasks import journal_verify_task

    get_user_model().objects.filter(username="boss").update(email="boss@example.com")
    assert journal_verify_task() == 0
    assert not mailoutbox
    superuser("UPDATE billing_ticket SET total = 1.00 WHERE id = %s", [books["tickets"][0].pk])
    assert journal_verify_task() == 1
    failed = JournalEntry.objects.filter(property=hotel, chain="jet", code="90").get()
    assert failed.actor == "beat" and "T000001" in failed.payload["first"]
    assert [m.to for m in mailoutbox] == [["boss@example.com"]]
    assert "T000001" in mailoutbox[0].body


def test_documents_are_the_same_seen_from_memory_and_from_the_rows(books, hotel):
    """What the services seal at issue is what the verifier recomputes from the database."""
    result = property_verify(property=hotel)
    assert result.ok, [str(p) for p in result.problems]
    # 4 receipts, 1 folio payment, 1 invoice, 1 credit note, 1 closure
    assert result.sealed == 8
    assert Payment.objects.filter(property=hotel).count() == 5
    assert Ticket.objects.filter(property=hotel).count() == 4
    assert Invoice.objects.filter(property=hotel).count() == 2


def test_each_duplicate_receipt_is_journaled_and_verified(books, hotel, manager):
    from devices.models import Printer
    from pos.services.receipts import receipt_print_request
    from tests.factories.pos import make_terminal

    terminal = make_terminal(hotel)
    terminal.printer = Printer.objects.create(
        property=hotel, code="bar", name="Bar", connection="file", file_path="/dev/null"
    )
    terminal.save()
    ticket = books["tickets"][1]
    for _ in range(3):  # the original, then two numbered copies
        receipt_print_request(terminal=terminal, ticket=ticket, actor=manager)
    duplicates = JournalEntry.objects.filter(property=hotel, kind="duplicate").order_by("sequence")
    assert [(d.document_number, d.payload["copy"]) for d in duplicates] == [
        ("T000002", 1),
        ("T000002", 2),
    ]
    assert duplicates[0].actor == manager.username and duplicates[0].gross == 0
    assert property_verify(property=hotel).ok
    superuser("DELETE FROM billing_ticket WHERE id = %s", [ticket.pk])
    problems = [str(p) for p in property_verify(property=hotel).problems]
    assert sum("T000002: the ticket is missing" in p for p in problems) == 3, problems


def test_an_unreadable_signing_key_refuses_the_closure_and_is_reported(
    books, other_hotel, client, staff_of, settings
):
    from django.urls import reverse

    from core.exceptions import InvalidInput

    # another property: the books' own day is closed, and days are closed in order
    hotel = other_hotel
    settings.FISCAL_SIGNING_KEY_FILE = "/nonexistent/fiscal-key.pem"
    yesterday = hotel.business_date()
    with pytest.raises(InvalidInput, match="signing key cannot be read"):
        closure_run(property=hotel, period=Closure.Period.DAY, day=yesterday)
    assert not Closure.objects.filter(property=hotel, start=yesterday).exists()
    # from the accountant's screen: a message, not an error page
    client.force_login(staff_of(hotel, Role.ACCOUNTANT, username="compta"))
    response = client.post(
        reverse("billing:accounting"),
        {"action": "closure", "period": "day", "day": yesterday.isoformat()},
        follow=True,
    )
    assert response.status_code == 200
    assert "signing key cannot be read" in response.content.decode()
    assert not Closure.objects.filter(property=hotel, start=yesterday).exists()
    problems = [str(p) for p in property_verify(property=hotel).problems]
    assert problems == ["signing key: cannot be read: the signed checkpoints could not be checked"]
