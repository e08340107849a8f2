"""Deposits (acomptes) go to 4191 with their VAT when cashed and are transferred to 411 when
the invoice is issued (docs/accounting.md); every entry and every day balances."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from billing.models import Payment
from billing.services.accounting import daily_entries
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoices import invoice_issue
from billing.services.payments import TenderInput, payments_record

pytestmark = pytest.mark.django_db
D = Decimal


def balances(entries) -> dict[str, Decimal]:
    total: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        assert entry.debit == entry.credit, entry
        for line in entry.lines:
            total[line.account] += line.debit - line.credit
    return total


def test_deposit_goes_to_4191_then_is_transferred_at_invoice(hotel, manager):
    today = hotel.business_date()
    booked = today - timedelta(days=20)
    folio = folio_open(property=hotel, holder_name="Jeanne Dupont")
    # received at booking, 20 days before the stay (a fixture row: the past cannot be "now")
    Payment.objects.create(
        property=hotel,
        folio=folio,
        method="bank_transfer",
        amount=D("110.00"),
        business_date=booked,
        created_by=manager,
    )
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput(
                "Chambre", D("1"), D("110"), D("110"), D("10"), "accommodation", source="n"
            ),
            ChargeInput("Massage", D("1"), D("40"), D("40"), D("20"), "services", source="s"),
        ],
    )
    payments_record(
        property=hotel,
        folio=folio,
        tenders=[TenderInput(method="card", amount=D("40.00"), terminal_reference="TPE-1")],
        actor=manager,
    )
    invoice = invoice_issue(folio=folio, actor=manager)
    assert invoice.paid == D("150.00") and invoice.balance == D("0.00")

    day_of_deposit = daily_entries(property=hotel, day=booked)
    (entry,) = day_of_deposit
    assert [(li.account, li.debit, li.credit) for li in entry.lines] == [
        ("512000", D("110.00"), D("0")),
        ("419100", D("0"), D("100.00")),
        ("445711", D("0"), D("10.00")),
    ]

    day_of_invoice = daily_entries(property=hotel, day=today)
    transfer = [e for e in day_of_invoice if e.journal == "OD"]
    assert [e.piece for e in transfer] == [f"ACPT-{invoice.number}"]
    assert [(li.account, li.debit, li.credit) for li in transfer[0].lines] == [
        ("419100", D("100.00"), D("0")),
        ("445711", D("10.00"), D("0")),
        ("411100", D("0"), D("110.00")),
    ]
    # the card paid at check-out is a settlement (411), not a deposit
    card = [e for e in day_of_invoice if e.journal == "BQ"]
    assert [li.account for li in card[0].lines] == ["511500", "411100"]
    # over both days: the customer and the deposit account are cleared, VAT is the sale's
    total = balances(day_of_deposit + day_of_invoice)
    assert total["411100"] == 0 and total["419100"] == 0
    assert total["445711"] == D("-10.00") and total["445712"] == D("-6.67")
    assert sum(total.values()) == 0


def test_a_deposit_not_yet_invoiced_stays_on_4191(hotel, manager):
    folio = folio_open(property=hotel, holder_name="Paul")
    payments_record(
        property=hotel,
        folio=folio,
        tenders=[TenderInput(method="card", amount=D("55.00"), terminal_reference="TPE-2")],
        actor=manager,
    )
    (entry,) = daily_entries(property=hotel, day=hotel.business_date())
    assert {li.account: li.credit for li in entry.lines if li.credit} == {
        "419100": D("50.00"),
        "445711": D("5.00"),
    }


def test_the_vat_report_shows_the_deposits_vat_as_the_fec_books_it(
    client, hotel, manager, staff_of
):
    """The accountant compares the VAT report with the FEC's VAT account: the deposits' VAT
    cashed and taken back in the period is shown apart, to the cent of the FEC's entries."""
    from billing.services.fec import fec_rows
    from core.models import Role

    today = hotel.business_date()
    booked = today - timedelta(days=3)
    invoiced = folio_open(property=hotel, holder_name="Jeanne Dupont")
    Payment.objects.create(
        property=hotel,
        folio=invoiced,
        method="bank_transfer",
        amount=D("110.00"),
        business_date=booked,
        created_by=manager,
    )
    folio_post_charges(
        folio=invoiced,
        charges=[
            ChargeInput("Chambre", D("1"), D("110"), D("110"), D("10"), "accommodation", source="n")
        ],
    )
    invoice_issue(folio=invoiced, actor=manager)
    later_stay = folio_open(property=hotel, holder_name="Paul Martin")
    payments_record(
        property=hotel,
        folio=later_stay,
        tenders=[TenderInput(method="card", amount=D("33.33"), terminal_reference="TPE-3")],
        actor=manager,
    )
    rows = fec_rows(property=hotel, start=booked, end=today + timedelta(days=1))
    col = {name: i for i, name in enumerate(next(rows))}
    deposit_vat_in_fec = defaultdict(Decimal)
    for row in rows:
        if row[col["CompteNum"]] == "445711" and "acompte" in row[col["EcritureLib"]].lower():
            debit, credit = (
                Decimal((row[col[k]] or "0").replace(",", ".")) for k in ("Debit", "Credit")
            )
            deposit_vat_in_fec["credit"] += credit
            deposit_vat_in_fec["debit"] += debit
    assert deposit_vat_in_fec == {"credit": D("13.03"), "debit": D("10.00")}

    client.force_login(staff_of(hotel, Role.ACCOUNTANT))
    client.cookies["django_language"] = "fr"
    page = client.get(
        "/reporting/financial/", {"period": "custom", "start": booked, "end": today}
    ).content.decode()
    assert "TVA sur les acomptes" in page
    assert "143,33\xa0€" in page and "13,03\xa0€" in page  # cashed: 110 + 33,33
    assert "−10,00\xa0€" in page  # taken back by the invoice
    assert 'data-testid="deposit-net-vat"><strong>3,03\xa0€' in page
    # a period with no deposit shows no such table
    empty = client.get(
        "/reporting/financial/",
        {
            "period": "custom",
            "start": today - timedelta(days=60),
            "end": today - timedelta(days=50),
        },
    ).content.decode()
    assert "financial-deposits" not in empty
