"""Accounting: balanced daily entries, CSV and FEC that parse, formula injection neutralised."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from billing.models import AccountingAccount, JournalEntry
from billing.services.accounting import daily_entries
from billing.services.fec import (
    FEC_COLUMNS,
    csv_rows,
    exports_write,
    fec_filename,
    fec_rows,
    neutralise,
    stream_lines,
)
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoices import credit_note_issue, invoice_issue
from billing.services.payments import TenderInput, payments_record
from core.models import Role
from pos.services.checkout import order_checkout, order_refund
from tests.factories.pos import make_terminal
from tests.pos.helpers import line

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def day_of_sales(hotel, catalog, product, staff_of, manager):
    hotel.siret = "12345678900012"
    hotel.save()
    cashier = staff_of(hotel, Role.CASHIER, username="nora")
    terminal = make_terminal(hotel)
    spritz = product("spritz")
    order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(spritz, "2")],
        tenders=[TenderInput(method="cash", amount=spritz.price * 2)],
    )
    voided = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("cafe"), "1")],
        tenders=[TenderInput(method="cash", amount=product("cafe").price)],
    )
    order_refund(order=voided, actor=cashier, reason="Erreur")
    folio = folio_open(property=hotel, holder_name='=HYPERLINK("x")')
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput(
                "Chambre",
                D("1"),
                D("110.00"),
                D("110.00"),
                D("10.00"),
                "accommodation",
                source="n1",
            ),
            ChargeInput(
                "Massage", D("1"), D("120.00"), D("120.00"), D("20.00"), "services", source="m1"
            ),
            ChargeInput(
                "Taxe de séjour", D("2"), D("1.65"), D("3.30"), D("0"), "tourist_tax", source="t1"
            ),
        ],
    )
    payments_record(
        property=hotel,
        folio=folio,
        actor=manager,
        tenders=[TenderInput(method="card", amount=D("233.30"), terminal_reference="TPE-1")],
    )
    invoice = invoice_issue(folio=folio, actor=manager)
    credit_note_issue(invoice=invoice, actor=manager, reason="Geste", amount=D("11.00"))
    return hotel.business_date()


def test_every_entry_and_the_day_balance(hotel, day_of_sales):
    entries = daily_entries(property=hotel, day=day_of_sales)

    assert [e.journal for e in entries] == ["VE", "BQ", "CA"]
    for entry in entries:
        assert entry.debit == entry.credit
    sales = entries[0]
    by_account = {li.account: li.credit - li.debit for li in sales.lines}
    assert by_account["467100"] == D("3.30")
    # room net 100.00 minus the 10 % share of the 11.00 credit (5.26 gross, 4.78 net)
    assert by_account["706100"] == D("95.22")
    assert by_account["411100"] == -(
        D("233.30") + D("11.00") * 2 - D("11.00")
    )  # spritz x2 - credit


def test_fec_parses_balances_and_is_named_after_the_siren(hotel, day_of_sales):
    end = day_of_sales + timedelta(days=1)
    text = "".join(
        stream_lines(fec_rows(property=hotel, start=day_of_sales, end=end), delimiter="\t")
    )
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    assert rows[0] == FEC_COLUMNS
    assert all(len(row) == 18 for row in rows)
    by_entry: dict[str, list[Decimal]] = {}
    for row in rows[1:]:
        debit, credit = (D(v.replace(",", ".")) for v in row[11:13])
        acc = by_entry.setdefault(row[2], [D(0), D(0)])
        acc[0] += debit
        acc[1] += credit
    assert len(by_entry) == 3
    assert all(debit == credit for debit, credit in by_entry.values())
    assert sum(d for d, _ in by_entry.values()) == sum(c for _, c in by_entry.values())
    assert fec_filename(property=hotel, end=end) == f"123456789FEC{day_of_sales:%Y%m%d}.txt"


def parse_csv(hotel, day):
    rows = csv_rows(property=hotel, start=day, end=day + timedelta(days=1))
    text = "".join(stream_lines(rows, delimiter=";"))
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_csv_has_one_row_per_line_and_neutralises_formulas(hotel, day_of_sales):
    rows = parse_csv(hotel, day_of_sales)

    assert [r["payment_method"] for r in rows if r["payment_method"]].count("card") == 1
    credit = [r for r in rows if r["document"].startswith("A")]
    assert sum(D(r["gross"]) for r in credit) == D("-11.00")
    voids = [r for r in rows if r["document"].startswith("VOID")]
    assert len(voids) == 1 and D(voids[0]["gross"]) < 0
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())


def test_guest_named_like_a_formula_comes_out_quoted(hotel, manager):
    folio = folio_open(property=hotel, holder_name='=HYPERLINK("x")')
    folio_post_charges(
        folio=folio,
        charges=[ChargeInput("@SUM(A1)", D("1"), D("10"), D("10"), D("10"), "food", source="x")],
    )

    (row,) = parse_csv(hotel, hotel.business_date())

    assert row["customer"] == '\'=HYPERLINK("x")'
    assert row["description"] == "'@SUM(A1)"
    assert row["gross"] == "10.00"
    assert neutralise("+33 6") == "'+33 6" and neutralise("-2+3") == "'-2+3"
    assert neutralise("Dupont") == "Dupont"


def test_mapping_override_and_files_written(hotel, day_of_sales, tmp_path):
    AccountingAccount.objects.create(
        property=hotel, key="payment:card", number="511510", label="CB Amex"
    )

    paths = exports_write(property=hotel, day=day_of_sales, directory=tmp_path)

    assert [p.name for p in paths][0] == f"123456789FEC{day_of_sales:%Y%m%d}.txt"
    assert "511510" in paths[0].read_text()
    assert JournalEntry.objects.filter(property=hotel, chain="jet", code="20").exists()
