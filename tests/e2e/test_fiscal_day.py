"""Story S4, the fiscal day, through the screens: the bar sells in cash, by card and in
titres-restaurant; the cashier closes the drawer with a blind count by denomination, 4,50 €
short; the accountant runs the daily closure; a later sale lands on the next business date;
the accountant downloads the CSV and the FEC (every entry and the day balanced, totals equal
to the documents); the reconciliation shows the 4,50 € difference and nothing else; the
tamper-evident journal verifies."""

import csv
import io
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from billing.models import Payment, Ticket
from billing.services.reconciliation import reconciliation_difference, reconciliation_for_day
from core.models import Role
from pos.models import CashSession
from tests.factories.core import make_staff
from tests.factories.screens import cashier, terminal, till  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
D = Decimal
HX = {"HTTP_HX_REQUEST": "true"}


def sell(till, hotel, product, code, **pay):  # noqa: F811
    till.post("/pos/counter/add/", {"product_id": product(code).pk}, **HX)
    key = till.session[f"pos_cart:{hotel.pk}"]["client_key"]
    response = till.post("/pos/counter/pay/", {"client_key": key, **pay}, **HX)
    assert response.status_code == 200 and "HX-Redirect" in response, response.content[:500]


def fec_amount(text: str) -> Decimal:
    return D(text.replace(",", "."))


def test_the_fiscal_day(till, hotel, catalog, product, terminal):  # noqa: F811
    # 1. the bar opens its drawer with a 150 € float and sells
    till.post("/pos/cash/open/", {"float": "150"})
    sell(till, hotel, product, "spritz", action="cash", tendered="20")  # 11 € cash
    sell(till, hotel, product, "biere", action="cash", tendered="5")  # 5 € cash
    sell(till, hotel, product, "salade-nicoise", action="card", card_reference="TPE-1")  # 18 €
    sell(till, hotel, product, "salade-nicoise", action="meal_voucher", title_amount="18")  # 18 €
    day = hotel.business_date()
    assert Ticket.objects.filter(business_date=day).count() == 4

    # 2. the cashier counts blind: 161,50 € by denomination (166 € expected), the titles by
    #    face value, the card slip; the expected amounts appear once the count is saved
    assert "166" not in till.get("/pos/cash/").content.decode()
    till.cookies["django_language"] = "fr"
    z = till.post(
        "/pos/cash/close/",
        {"cash_50": "3", "cash_10": "1", "cash_1": "1", "cash_0.50": "1",
         "meal_voucher_face_0": "9", "meal_voucher_qty_0": "2", "slip_card": "18"},
        follow=True,
    ).content.decode()  # fmt: skip
    assert 'data-testid="difference">-4,50\u00a0€' in z
    session = CashSession.objects.get()
    assert session.difference == D("-4.50")
    assert session.counts["card"]["difference"] == session.counts["meal_voucher"]["difference"]
    assert session.counts["card"]["difference"] == "0.00"

    # 3. the accountant runs the daily closure in the evening
    client = Client()  # the accountant's own browser
    client.force_login(make_staff(hotel, Role.ACCOUNTANT, username="compta"))
    client.post("/billing/accounting/", {"action": "closure", "period": "day", "day": day})
    # and a late coffee lands on the next business date
    sell(till, hotel, product, "cafe", action="cash", tendered="2.50")
    late = Ticket.objects.order_by("-number").first()
    assert late.business_date == day + timedelta(days=1)
    assert Ticket.objects.filter(business_date=day).count() == 4

    # 4. the accountant downloads the FEC and the CSV of the day
    period = {"start": day.isoformat(), "end": day.isoformat()}
    fec = b"".join(client.get("/billing/accounting/export/fec/", period).streaming_content)
    rows = list(csv.DictReader(io.StringIO(fec.decode("utf-8")), delimiter="\t"))
    assert rows and {r["EcritureDate"] for r in rows} == {f"{day:%Y%m%d}"}
    by_entry = defaultdict(lambda: [D(0), D(0)])
    for r in rows:
        by_entry[r["EcritureNum"]][0] += fec_amount(r["Debit"])
        by_entry[r["EcritureNum"]][1] += fec_amount(r["Credit"])
    assert all(debit == credit for debit, credit in by_entry.values()), by_entry
    assert sum(d for d, _ in by_entry.values()) == sum(c for _, c in by_entry.values())
    sales = sum(fec_amount(r["Debit"]) for r in rows if r["JournalCode"] == "VE")
    assert sales == D("52.00")  # 11 + 5 + 18 + 18, the four tickets of the day
    debits = defaultdict(Decimal)
    for r in rows:
        debits[r["CompteNum"]] += fec_amount(r["Debit"])
    assert debits["511500"] == D("18.00")  # card
    assert debits["511300"] == D("18.00")  # titres-restaurant
    assert debits["658000"] == D("4.50")  # the drawer's shortage
    assert debits["530000"] == D("16.00")  # the cash sales
    lines = b"".join(client.get("/billing/accounting/export/csv/", period).streaming_content)
    table = list(csv.DictReader(io.StringIO(lines.decode("utf-8")), delimiter=";"))
    sold = sum(
        D(r["gross"]) for r in table if r["document"].startswith("T") and not r["payment_method"]
    )
    assert sold == D("52.00") == sum(t.total for t in Ticket.objects.filter(business_date=day))
    paid = defaultdict(Decimal)
    for r in table:
        if r["payment_method"]:
            paid[r["payment_method"]] += D(r["gross"])
    assert paid == {"cash": D("16.00"), "card": D("18.00"), "meal_voucher": D("18.00")}
    assert sum(paid.values()) == sum(p.amount for p in Payment.objects.filter(business_date=day))

    # 5. the reconciliation shows the 4,50 € shortfall and nothing else
    rows = reconciliation_for_day(property=hotel, business_date=day)
    differences = {r["method"]: r["difference"] for r in rows}
    assert differences == {"cash": D("-4.50"), "card": D("0"), "meal_voucher": D("0")}
    assert reconciliation_difference(rows) == {"difference": D("-4.50"), "complete": True}
    client.cookies["django_language"] = "fr"
    page = client.get("/billing/accounting/", period).content.decode()
    total = page.split('data-testid="day-difference"')[1].split("</tr>")[0]
    assert total.endswith('<th class="num">-4,50\u00a0€</th>') and "pas encore" not in total

    # 6. the tamper-evident journal verifies
    call_command("verify_journal")
