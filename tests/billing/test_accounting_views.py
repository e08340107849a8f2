"""The accountant's screen: role-gated, streamed exports, closures, verification, PDFs."""

import csv
import io
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from billing.models import Closure, JournalEntry
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoices import invoice_issue
from core.models import OutboxMessage, Role
from core.outbox import outbox_dispatch_pending
from tests.worker import broker_down, running_worker

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def accountant(hotel, staff_of):
    return staff_of(hotel, Role.ACCOUNTANT, username="compta")


@pytest.fixture
def invoice(hotel, manager):
    folio = folio_open(property=hotel, holder_name='=HYPERLINK("x")')
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput("Chambre", D("1"), D("110"), D("110"), D("10"), "accommodation", source="n")
        ],
    )
    return invoice_issue(folio=folio, actor=manager)


def period(hotel):
    day = hotel.business_date()
    return {"start": day.isoformat(), "end": day.isoformat()}


def test_screen_lists_documents_for_the_accountant_only(client, hotel, accountant, waiter, invoice):
    client.force_login(waiter)
    assert client.get(reverse("billing:accounting")).status_code == 403
    client.force_login(accountant)
    response = client.get(reverse("billing:accounting"), period(hotel))
    assert response.status_code == 200
    assert invoice.number in response.content.decode()


def test_fec_and_csv_are_streamed_and_parse(client, hotel, accountant, invoice):
    client.force_login(accountant)
    fec = client.get(reverse("billing:accounting_export", args=["fec"]), period(hotel))
    assert fec.streaming and fec.status_code == 200
    assert "FEC" in fec["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(fec.streaming_content).decode()), delimiter="\t"))
    assert rows[0][0] == "JournalCode" and len(rows) == 4  # header + 411 / 706 / 44571
    export = client.get(reverse("billing:accounting_export", args=["csv"]), period(hotel))
    (row,) = csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode()), delimiter=";")
    assert row["customer"] == '\'=HYPERLINK("x")'
    assert JournalEntry.objects.filter(chain="jet", code="20").count() == 2


def test_bad_period_changes_nothing(client, hotel, accountant):
    client.force_login(accountant)
    day = hotel.business_date()
    response = client.get(
        reverse("billing:accounting_export", args=["fec"]),
        {"start": day.isoformat(), "end": (day - timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 302
    assert not JournalEntry.objects.filter(chain="jet", code="20").exists()


def test_closure_from_the_screen_signs_a_checkpoint(client, hotel, accountant, invoice):
    client.force_login(accountant)
    yesterday = hotel.business_date() - timedelta(days=1)
    client.post(
        reverse("billing:accounting"),
        {"action": "closure", "period": "day", "day": yesterday.isoformat()},
        follow=True,
    )
    closure = Closure.objects.get(property=hotel, period="day", start=yesterday)
    page = client.get(reverse("billing:accounting")).content.decode()
    assert f"Last signed checkpoint: entry #{closure.journal_entry.sequence}" in page
    assert "The journal has not been verified yet." in page


def _wait_verified(client, count: int, timeout: float = 30) -> str:
    """Poll the integrity line as the screen does until the worker recorded `count` runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = JournalEntry.objects.filter(chain="jet", code__in=["90", "91"]).count()
        if (
            runs >= count
            and not OutboxMessage.objects.filter(status__in=["pending", "running"]).exists()
        ):
            return client.get(reverse("billing:verification_status")).content.decode()
        time.sleep(0.2)
    raise AssertionError("the verification did not finish")


@pytest.mark.django_db(transaction=True)
def test_verification_runs_on_a_worker_and_shows_on_the_screen(client, hotel, accountant, invoice):
    """A year takes minutes, longer than a web request may last: the button queues the
    verification for a worker, one at a time, and the screen polls until the result is in."""
    client.force_login(accountant)
    yesterday = hotel.business_date() - timedelta(days=1)
    client.post(
        reverse("billing:accounting"),
        {"action": "closure", "period": "day", "day": yesterday.isoformat()},
    )
    with broker_down():
        page = client.post(
            reverse("billing:accounting"), {"action": "verify"}, follow=True
        ).content.decode()
        assert "Verification started" in page
        assert "Verification under way (asked by compta" in page and 'hx-trigger="every 3s"' in page
        again = client.post(
            reverse("billing:accounting"), {"action": "verify"}, follow=True
        ).content.decode()
        assert "A verification is already under way." in again
    assert OutboxMessage.objects.filter(task="billing.tasks.journal_verify_task").count() == 1

    # the broker is back: the sweep publishes it, a real worker runs it
    with running_worker():
        outbox_dispatch_pending()
        line = _wait_verified(client, 1)
    assert "Last verification: intact" in line and "compta" in line
    closure = Closure.objects.get(property=hotel, period="day", start=yesterday)
    assert f"Last signed checkpoint: entry #{closure.journal_entry.sequence}" in line
    assert "Verified." in line and "hx-trigger" not in line

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE billing_invoice SET total = 1.00 WHERE id = %s", [invoice.pk])
        cursor.execute("SET session_replication_role = origin")
    with running_worker():
        client.post(reverse("billing:accounting"), {"action": "verify"})
        line = _wait_verified(client, 2)
    assert "Last verification: BROKEN" in line and invoice.number in line
    page = client.get(reverse("billing:accounting")).content.decode()
    assert "Last verification: BROKEN" in page


def test_invoice_pdf_is_scoped_to_the_property(
    client, hotel, other_hotel, accountant, staff_of, invoice
):
    client.force_login(accountant)
    response = client.get(reverse("billing:invoice_pdf", args=[invoice.public_id]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    stranger = staff_of(other_hotel, Role.ACCOUNTANT, username="ailleurs")
    client.force_login(stranger)
    assert client.get(reverse("billing:invoice_pdf", args=[invoice.public_id])).status_code == 404


def test_reconciliation_compares_payments_with_counts(client, hotel, accountant, manager):
    from billing.models import CashCount
    from billing.services.payments import TenderInput, payments_record
    from billing.services.reconciliation import cash_count_record, reconciliation_for_day

    folio = folio_open(property=hotel, holder_name="Jeanne")
    folio_post_charges(
        folio=folio,
        charges=[ChargeInput("Chambre", D("1"), D("90"), D("90"), D("10"), "food", source="n")],
    )
    payments_record(
        property=hotel,
        folio=folio,
        actor=manager,
        tenders=[TenderInput(method="cash", amount=D("90.00"))],
    )
    day = hotel.business_date()
    cash_count_record(property=hotel, business_date=day, method="cash", counted="80", actor=manager)
    client.force_login(accountant)
    client.post(
        reverse("billing:accounting"),
        {"action": "count", "day": day.isoformat(), "method": "cash", "counted": "89,50"},
    )

    (row,) = reconciliation_for_day(property=hotel, business_date=day)
    assert (row["expected"], row["counted"], row["difference"]) == (
        D("90.00"),
        D("89.50"),
        D("-0.50"),
    )
    page = client.get(reverse("billing:accounting"), period(hotel)).content.decode()
    assert "-€0.50" in page
    count = CashCount.objects.count()
    for bad in (
        {"method": "gold", "counted": "1"},
        {"method": "cash", "counted": "-3"},
        {"method": "cash", "counted": "abc"},
    ):
        client.post(
            reverse("billing:accounting"), {"action": "count", "day": day.isoformat(), **bad}
        )
    assert CashCount.objects.count() == count


def test_the_accountant_browses_the_period_s_documents_by_kind_and_page(
    client,
    hotel,
    other_hotel,
    accountant,
    manager,
    invoice,
    catalog,
    product,
    django_assert_max_num_queries,
):
    from billing.services.invoices import credit_note_issue
    from billing.services.payments import TenderInput
    from pos.services.checkout import order_checkout
    from tests.factories.pos import make_terminal
    from tests.pos.helpers import line

    terminal = make_terminal(hotel, outlet_code="bar-piscine", outlet_name="Bar de la Piscine")
    cafe = product("cafe")
    for _ in range(53):
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=manager,
            lines=[line(cafe, "1")],
            tenders=[TenderInput(method="cash", amount=cafe.price)],
        )
    credit = credit_note_issue(invoice=invoice, actor=manager, reason="Erreur de chambre")
    # a document of another property never shows
    elsewhere = folio_open(property=other_hotel, holder_name="Société Lointaine")
    folio_post_charges(
        folio=elsewhere,
        charges=[
            ChargeInput("Nuit", D("1"), D("90"), D("90"), D("10"), "accommodation", source="x")
        ],
    )
    foreign = invoice_issue(folio=elsewhere, actor=manager)
    client.force_login(accountant)
    url = reverse("billing:accounting")

    invoices = client.get(url, period(hotel)).content.decode()
    assert invoice.number in invoices and credit.number not in invoices
    assert "Société Lointaine" not in invoices and foreign.pk != invoice.pk
    credits = client.get(url, {**period(hotel), "documents": "credit_notes"}).content.decode()
    assert credit.number in credits and invoice.number not in credits
    with django_assert_max_num_queries(40):
        first = client.get(url, {**period(hotel), "documents": "tickets"}).content.decode()
    assert "Page 1 of 2 (53 documents)" in first
    assert "T000053" in first and "T000001" not in first  # newest first, 50 a page
    second = client.get(url, {**period(hotel), "documents": "tickets", "page": "2"})
    assert "T000001" in second.content.decode()
    # a period without documents, and nonsense parameters, answer a page, not an error
    before = hotel.business_date() - timedelta(days=40)
    empty = client.get(
        url,
        {"start": before.isoformat(), "end": before.isoformat(), "documents": "x", "page": "z"},
    )
    assert empty.status_code == 200 and "No document in this period." in empty.content.decode()
