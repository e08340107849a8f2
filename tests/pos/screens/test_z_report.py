"""The cashier's blind close by denomination and by method, and the Z report a French till
prints (per drawer and per day): on screen, as a PDF and on the till's printer, in French and
English, its figures SQL aggregates whose query count does not grow with the day."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import JournalEntry, Payment
from billing.services.payments import TenderInput
from billing.services.reconciliation import reconciliation_difference, reconciliation_for_day
from core.exceptions import Conflict, InvalidInput
from core.models import Role
from devices.documents import document_from_json
from devices.models import Printer, PrintJob
from devices.rendering import render_text
from pos.models import CashSession
from pos.services.cash import DrawerCount, cash_session_close, cash_session_open
from pos.services.checkout import order_checkout, order_refund
from pos.z_report import z_report_for_day, z_report_for_session
from tests.factories.core import make_staff
from tests.pos.helpers import line

pytestmark = pytest.mark.django_db
D = Decimal
HX = {"HTTP_HX_REQUEST": "true"}


def sell(hotel, terminal, cashier, product, code, tenders, **kw):
    return order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product(code))],
        tenders=tenders,
        **kw,
    )


def a_day_at_the_bar(hotel, terminal, cashier, product):
    """Float 100; a salad in cash (18), a spritz by card (11), a salad in titres-restaurant
    (18): 118 € expected in the drawer, 11 € on the card slip, 18 € of titles."""
    session = cash_session_open(terminal=terminal, actor=cashier, opening_float=D("100"))
    sell(hotel, terminal, cashier, product, "salade-nicoise", [TenderInput("cash", 18, 20)])
    sell(hotel, terminal, cashier, product, "spritz", [TenderInput("card", 11, None, "TPE-9")])
    sell(hotel, terminal, cashier, product, "salade-nicoise", [TenderInput("meal_voucher", 18)])
    return session


def close_form(**extra):
    form = {"cash_50": "2", "cash_10": "1", "cash_5": "1", "cash_0.50": "1"}  # 115,50 €
    form.update({"meal_voucher_face_0": "9", "meal_voucher_qty_0": "2", "slip_card": "11"})
    form.update(extra)
    return form


def test_blind_close_by_denomination_then_expected_and_differences(
    till, hotel, terminal, cashier, product
):
    # given: a day at the bar
    session = a_day_at_the_bar(hotel, terminal, cashier, product)
    # when: the cashier looks at the drawer before counting
    drawer = till.get("/pos/cash/").content.decode()
    # then: nothing expected is shown, only the counting form
    assert "118" not in drawer and "€11.00" not in drawer
    assert 'name="cash_500"' in drawer and 'name="cash_0.01"' in drawer
    assert 'name="holiday_voucher_face_0"' in drawer and 'name="slip_card"' in drawer
    # when: the count is saved
    page = till.post("/pos/cash/close/", close_form(), follow=True).content.decode()
    # then: counted, expected and difference per method, the cash 2,50 € short
    session.refresh_from_db()
    assert session.status == CashSession.Status.CLOSED
    assert session.counts["cash"] == {
        "counted": "115.50",
        "expected": "118.00",
        "difference": "-2.50",
        "detail": {"50.00": 2, "10.00": 1, "5.00": 1, "0.50": 1},
    }
    assert session.counts["meal_voucher"]["difference"] == "0.00"
    assert session.counts["card"]["counted"] == "11.00"
    assert session.difference == D("-2.50")
    assert 'data-testid="difference">-€2.50' in page
    assert "Meal voucher (paper)" in page
    # and the count is in the technical journal
    jet = JournalEntry.objects.get(chain="jet", code="170")
    assert jet.payload["counts"]["cash"] == ["115.50", "118.00", "-2.50"]
    # when: someone tries to close again with another count
    again = till.post("/pos/cash/close/", close_form(cash_50="3"), follow=True).content.decode()
    # then: refused, nothing rewritten
    assert "No drawer is open on this till." in again
    session.refresh_from_db()
    assert session.counts["cash"]["counted"] == "115.50"
    with pytest.raises(Conflict):
        cash_session_close(session=session, actor=cashier, counted_cash=D("118"))
    # and the accountant's reconciliation uses the drawer's counts for every method
    rows = {
        r["method"]: r
        for r in reconciliation_for_day(property=hotel, business_date=session.business_date)
    }
    assert rows["cash"]["difference"] == D("-2.50")
    assert rows["card"]["difference"] == D("0") and rows["meal_voucher"]["difference"] == D("0")
    total = reconciliation_difference(list(rows.values()))
    assert total == {"difference": D("-2.50"), "complete": True}


@pytest.mark.parametrize(
    "form, message",
    [
        ({"cash_50": "two"}, "Enter a whole number of pieces."),
        ({"cash_50": "-1"}, "Enter a whole number of pieces."),
        ({"meal_voucher_face_0": "abc", "meal_voucher_qty_0": "1"}, "Enter a valid amount."),
        ({"slip_card": "1e999"}, "Enter a valid amount."),
    ],
)
def test_a_bad_count_is_refused_and_the_drawer_stays_open(till, terminal, cashier, form, message):
    cash_session_open(terminal=terminal, actor=cashier, opening_float=D("50"))
    page = till.post("/pos/cash/close/", form, follow=True).content.decode()
    assert message in page
    assert CashSession.objects.get().status == CashSession.Status.OPEN
    assert not JournalEntry.objects.filter(code="170").exists()


def test_cash_is_counted_in_euro_denominations_only(terminal, cashier):
    session = cash_session_open(terminal=terminal, actor=cashier, opening_float=D("0"))
    with pytest.raises(InvalidInput):
        cash_session_close(
            session=session, actor=cashier, count=DrawerCount(pieces={"cash": {D("3"): 1}})
        )


def test_z_report_of_a_drawer_has_every_figure(till, hotel, terminal, cashier, product, manager):
    # given: a day at the bar, a refund of the card spritz, a tip on a card coffee
    session = a_day_at_the_bar(hotel, terminal, cashier, product)
    spritz = Payment.objects.get(method="card").ticket.order
    order_refund(order=spritz, actor=manager, reason="Renversé")
    sell(
        hotel, terminal, cashier, product, "cafe", [TenderInput("card", D("3.50"), None, "T2")],
        tip=D("1.00"),
    )  # fmt: skip
    till.post("/pos/cash/close/", close_form(slip_card="3.50"))
    # when
    page = till.get(f"/pos/cash/sessions/{session.pk}/").content.decode()
    # then
    assert "T000001 → T000004" in page and "4 tickets" in page
    assert 'data-testid="z-gross">€49.50' in page  # 18 + 11 + 18 + 2.50
    assert "Food" in page and "Alcohol" in page and "Non-alcoholic drinks" in page
    assert "1 refund</th>" in page and "1 voided ticket</th>" in page
    assert "-€11.00" in page  # the refund
    assert "Meal voucher (paper)" in page and "Card" in page
    report = z_report_for_session(session=CashSession.objects.get())
    assert report.tips == D("1.00") and report.refunds == D("-11.00")
    assert [(v["rate"], v["gross"]) for v in report.vat] == [
        (D("20.00"), D("11.00")),
        (D("10.00"), D("38.50")),
    ]
    assert report.perpetual_total == D("38.50")  # 49.50 sold, 11 voided
    assert {c["method"]: c["difference"] for c in report.counts} == {
        "cash": D("-2.50"),
        "meal_voucher": D("0.00"),
        "card": D("0.00"),
    }


def test_z_report_queries_do_not_grow_with_the_day(hotel, catalog, terminal, cashier, product):
    session = cash_session_open(terminal=terminal, actor=cashier, opening_float=D("100"))
    sell(hotel, terminal, cashier, product, "cafe", [TenderInput("cash", D("2.50"))])

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            z_report_for_session(session=CashSession.objects.select_related("terminal__outlet")
                                 .get(pk=session.pk))  # fmt: skip
            z_report_for_day(property=hotel, business_date=hotel.business_date())
        return len(ctx.captured_queries)

    few = queries()
    for _ in range(8):
        sell(hotel, terminal, cashier, product, "spritz", [TenderInput("cash", 11)])
    assert queries() == few
    assert few <= 20


def test_day_z_report_in_french_as_pdf_and_on_the_printer(till, hotel, terminal, cashier, product):
    # given: a closed drawer and a till with a printer
    session = a_day_at_the_bar(hotel, terminal, cashier, product)
    till.post("/pos/cash/close/", close_form())
    terminal.printer = Printer.objects.create(
        property=hotel, code="bar", name="Bar", connection="file", file_path="/dev/null"
    )
    terminal.save()
    day = session.business_date.isoformat()
    # when: the day's report in French
    till.cookies["django_language"] = "fr"
    page = till.get(f"/pos/cash/day/?day={day}").content.decode()
    # then: French labels and amounts
    assert "Rapport Z de la journée" in page
    assert "Titre-restaurant (papier)" in page and "Carte" in page
    assert "-2,50\u00a0€" in page and "47,00\u00a0€" in page
    # when: as a PDF
    pdf = till.get(f"/pos/cash/day/?day={day}&format=pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # when: printed on the till
    till.post(f"/pos/cash/day/print/?day={day}")
    job = PrintJob.objects.get(kind="report")
    paper = render_text(document_from_json(job.kind, job.document), columns=42)
    assert "T000001" in paper and "47,00 €" in paper and "Titre-restaurant (papier)" in paper
    # a bad day is a 404, not a 500
    assert till.get("/pos/cash/day/?day=2026-13-45").status_code == 404


def test_the_day_report_of_another_property_shows_nothing_of_ours(
    client, other_hotel, hotel, catalog, terminal, cashier, product
):
    a_day_at_the_bar(hotel, terminal, cashier, product)
    client.force_login(make_staff(other_hotel, Role.CASHIER, username="c2"))
    page = client.get("/pos/cash/day/").content.decode()
    assert "T000001" not in page and "0 tickets" in page


def test_the_accountant_reads_the_day_report_but_prints_nothing(
    client, hotel, catalog, terminal, cashier, product
):
    """The accountant checks the VAT report against the Z report: read it, as a PDF too; the
    till's printer and cash drawer stay the tills'; a waiter reads none of it."""
    session = a_day_at_the_bar(hotel, terminal, cashier, product)
    day = session.business_date.isoformat()
    client.force_login(make_staff(hotel, Role.ACCOUNTANT, username="compta"))
    page = client.get(f"/pos/cash/day/?day={day}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "T000001" in text
    assert 'data-testid="z-print"' not in text and '/pos/cash/"' not in text
    pdf = client.get(f"/pos/cash/day/?day={day}&format=pdf")
    assert pdf.content.startswith(b"%PDF")
    assert client.post(f"/pos/cash/day/print/?day={day}").status_code == 403
    client.force_login(make_staff(hotel, Role.WAITER, username="serveur2"))
    assert client.get(f"/pos/cash/day/?day={day}").status_code == 403
