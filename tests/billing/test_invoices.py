"""Invoices and credit notes: gap-free numbers, frozen snapshots, journal, split folios."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from billing.models import Invoice, InvoiceLine, JournalEntry
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoices import credit_note_issue, invoice_issue
from billing.services.journal import journal_verify
from billing.services.payments import TenderInput, payments_record
from core.exceptions import InvalidInput
from crm.models import Company
from tests.concurrency import race

pytestmark = pytest.mark.django_db
D = Decimal


def charge(total, rate, source, category="room", description=None):
    return ChargeInput(
        description=description or f"Charge {source}",
        quantity=D("1"),
        unit_price=D(total),
        total=D(total),
        vat_rate=D(rate),
        revenue_category=category,
        source=source,
    )


@pytest.fixture
def folio(hotel):
    hotel.legal_name, hotel.siret, hotel.vat_number = (
        "SARL Les Tests",
        "12345678900012",
        "FR12345678901",
    )
    hotel.save()
    folio = folio_open(property=hotel, holder_name="Jeanne Dupont")
    folio_post_charges(
        folio=folio,
        charges=[
            charge("110.00", "10.00", "pms.night:1:a", description="Chambre double"),
            charge("110.00", "10.00", "pms.night:1:b", description="Chambre double"),
            charge("12.00", "20.00", "pos.ticketline:77", category="beverage_alcohol"),
            charge("3.30", "0", "pms.touristtax:1:a", category="tourist_tax"),
        ],
    )
    return folio


def fiscal(hotel):
    return list(JournalEntry.objects.filter(property=hotel, chain="fiscal").order_by("sequence"))


def test_invoice_copies_lines_breaks_vat_down_and_journals_only_unreceipted_sales(
    hotel, folio, manager
):
    payments_record(
        property=hotel,
        folio=folio,
        tenders=[TenderInput(method="bank_transfer", amount=D("100"))],
        actor=manager,
    )

    invoice = invoice_issue(folio=folio, actor=manager)

    year = hotel.business_date().year
    assert invoice.number == f"F{year}-000001"
    assert invoice.seller["legal_name"] == "SARL Les Tests"
    assert invoice.seller["siret"] == "12345678900012"
    assert invoice.buyer["name"] == "Jeanne Dupont"
    assert invoice.lines.count() == 4
    assert invoice.total == D("235.30") and invoice.tourist_tax == D("3.30")
    vat = [(v.rate, v.net, v.vat, v.gross) for v in invoice.vat_lines.all()]
    assert vat == [
        (D("20.00"), D("10.00"), D("2.00"), D("12.00")),
        (D("10.00"), D("200.00"), D("20.00"), D("220.00")),
    ]
    assert invoice.vat_total == D("22.00")
    assert invoice.paid == D("100.00") and invoice.balance == D("135.30")
    assert invoice.payments[0]["method"] == "bank_transfer"
    entry = fiscal(hotel)[-1]
    assert entry.kind == "invoice" and entry.document_number == invoice.number
    # the POS line was already a receipt, the tourist tax is not a sale
    assert entry.gross == D("220.00") and entry.vat == {
        "10.00": {"net": "200.00", "vat": "20.00", "gross": "220.00"}
    }
    assert entry.payload["already_receipted"] == "12.00"
    assert journal_verify(property=hotel, chain="fiscal").ok


def test_nothing_left_to_invoice_changes_nothing(hotel, folio, manager):
    invoice_issue(folio=folio, actor=manager)
    count, entries = Invoice.objects.count(), len(fiscal(hotel))
    with pytest.raises(InvalidInput):
        invoice_issue(folio=folio, actor=manager)
    assert Invoice.objects.count() == count and len(fiscal(hotel)) == entries


def test_split_folio_company_pays_the_room_guest_pays_extras(hotel, folio, manager):
    company = Company.objects.create(
        organization=hotel.organization,
        name="ACME SA",
        vat_number="FR99999999999",
        address="1 rue de la Paix, Paris",
    )
    rooms = list(folio.lines.filter(revenue_category="room"))

    company_invoice = invoice_issue(folio=folio, actor=manager, lines=rooms, company=company)
    guest_invoice = invoice_issue(folio=folio, actor=manager)

    assert company_invoice.buyer["name"] == "ACME SA"
    assert company_invoice.buyer["vat_number"] == "FR99999999999"
    assert company_invoice.total == D("220.00")
    assert guest_invoice.total == D("15.30")
    assert guest_invoice.sequence == company_invoice.sequence + 1
    with pytest.raises(InvalidInput):
        invoice_issue(folio=folio, actor=manager, lines=rooms[:1])


def test_a_line_of_another_folio_is_refused(hotel, folio, manager):
    other = folio_open(property=hotel, holder_name="X")
    (line,) = folio_post_charges(folio=other, charges=[charge("10", "10", "x")])
    with pytest.raises(InvalidInput):
        invoice_issue(folio=folio, actor=manager, lines=[line])
    assert not Invoice.objects.exists()


def test_full_credit_note_references_original_and_reverses_the_journal(hotel, folio, manager):
    invoice = invoice_issue(folio=folio, actor=manager)

    note = credit_note_issue(invoice=invoice, actor=manager, reason="Erreur de facturation")

    year = hotel.business_date().year
    assert note.number == f"A{year}-000001" and note.original == invoice
    assert note.total == -invoice.total
    assert note.buyer == invoice.buyer
    entry = fiscal(hotel)[-1]
    assert entry.kind == "credit_note" and entry.gross == D("-232.00")
    assert entry.perpetual_total == D("-12.00")  # the POS receipt's sale is credited once
    assert journal_verify(property=hotel, chain="fiscal").ok
    with pytest.raises(InvalidInput):
        credit_note_issue(invoice=invoice, actor=manager, reason="again")
    # credited lines can be invoiced again (e.g. to a company)
    again = invoice_issue(folio=folio, actor=manager)
    assert again.number == f"F{year}-000002" and again.total == invoice.total


def test_partial_credit_by_line_and_by_amount(hotel, folio, manager):
    invoice = invoice_issue(folio=folio, actor=manager)
    night = invoice.lines.filter(revenue_category="room").first()

    by_line = credit_note_issue(
        invoice=invoice, actor=manager, reason="Nuit offerte", lines=[night]
    )
    by_amount = credit_note_issue(invoice=invoice, actor=manager, reason="Geste", amount=D("23.20"))

    assert by_line.total == D("-110.00")
    assert by_amount.total == D("-23.20")
    assert sum(v.gross for v in by_amount.vat_lines.all()) == D("-23.20")
    assert by_amount.vat_lines.count() == 2
    with pytest.raises(InvalidInput):
        credit_note_issue(invoice=invoice, actor=manager, reason="trop", amount=D("500"))
    with pytest.raises(InvalidInput):
        credit_note_issue(invoice=invoice, actor=manager, reason=" ", amount=D("1"))
    with pytest.raises(InvalidInput):
        credit_note_issue(invoice=by_line, actor=manager, reason="avoir d'avoir")
    assert Invoice.objects.filter(kind="credit_note").count() == 2


def test_issued_invoices_cannot_be_updated_or_deleted(hotel, folio, manager):
    invoice = invoice_issue(folio=folio, actor=manager)
    line = invoice.lines.first()
    for sql, pk in (
        ("UPDATE billing_invoice SET total = 1 WHERE id = %s", invoice.pk),
        ("DELETE FROM billing_invoiceline WHERE id = %s", line.pk),
        ("UPDATE billing_invoicevat SET vat = 0 WHERE invoice_id = %s", invoice.pk),
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])
    assert InvoiceLine.objects.filter(pk=line.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_issues_get_consecutive_numbers(hotel, manager):
    folios = []
    for i in range(20):
        f = folio_open(property=hotel, holder_name=f"Guest {i}")
        folio_post_charges(folio=f, charges=[charge("50.00", "10.00", f"n{i}")])
        folios.append(f)

    results = race([lambda f=f: invoice_issue(folio=f, actor=manager) for f in folios])

    assert not [r for r in results if isinstance(r, Exception)]
    assert sorted(r.sequence for r in results) == list(range(1, 21))
    assert journal_verify(property=hotel, chain="fiscal").ok
