"""French payment titles (REFERENCE §9.2) at the counter, on the waiter's tablet and through
the API: titres-restaurant (paper and card) pay for food only and at most 25 € a sale, no
change is given on paper titles (refused, or kept as a tip per the property), chèques-vacances
give no change; each is its own tender with its own clearing account in the exports."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.exceptions import PaymentInvalid
from billing.models import Payment, Ticket
from billing.services.accounting import daily_entries
from billing.services.fec import csv_rows, fec_rows
from billing.services.folios import folio_open
from billing.services.payments import TenderInput, payments_record
from core.models import PaperTitleExcess
from pos.services.checkout import order_checkout
from tests.factories.screens import (  # noqa: F401  (fixtures)
    tables,
    tablet,
    terminal_cookie,
    till,
)
from tests.pos.helpers import line, required_choices, snapshot

pytestmark = pytest.mark.django_db
D = Decimal
HX = {"HTTP_HX_REQUEST": "true"}


def sell(hotel, terminal, cashier, lines, tenders, **kw):
    return order_checkout(
        property=hotel, terminal=terminal, actor=cashier, lines=lines, tenders=tenders, **kw
    )


def test_a_meal_voucher_pays_food_and_the_rest_is_paid_in_cash(
    hotel, catalog, terminal, cashier, product
):
    # when: a salad (18 €, food) and a beer (5 €, alcohol), 18 € in titres-restaurant
    order = sell(
        hotel,
        terminal,
        cashier,
        [line(product("salade-nicoise")), line(product("biere"))],
        [TenderInput("meal_voucher", D("18.00")), TenderInput("cash", D("5.00"))],
    )
    # then: two tenders, the title as its own method
    methods = {p.method: p.amount for p in order.ticket.payments.all()}
    assert methods == {"meal_voucher": D("18.00"), "cash": D("5.00")}


@pytest.mark.parametrize(
    "lines, tenders, message",
    [
        # the beer is not food: 23 € asked, 18 € of food
        (
            [("salade-nicoise", "1"), ("biere", "1")],
            [("meal_voucher", "23.00")],
            "Titres-restaurant pay for food only: at most €18.00",
        ),
        # nothing but drinks
        ([("spritz", "1")], [("meal_voucher_card", "11.00")], "nothing in this sale"),
        # two rib-eyes (58 €): the cap is 25 € a day
        (
            [("entrecote", "2")],
            [("meal_voucher", "30.00"), ("cash", "28.00")],
            "At most €25.00 a day may be paid with titres-restaurant",
        ),
    ],
)
def test_bad_meal_voucher_payments_are_refused_and_nothing_is_written(
    hotel, catalog, terminal, cashier, product, lines, tenders, message
):
    before = snapshot()
    with pytest.raises(PaymentInvalid) as refused:
        sell(
            hotel,
            terminal,
            cashier,
            [line(product(code), qty) for code, qty in lines],
            [TenderInput(m, D(a)) for m, a in tenders],
        )
    assert message in str(refused.value.message)
    assert snapshot() == before


def test_no_change_on_paper_titles_unless_the_property_keeps_it_as_a_tip(
    hotel, catalog, terminal, cashier, product
):
    salad = [line(product("salade-nicoise"))]  # 18 €
    # given: the property refuses change on paper (the default)
    before = snapshot()
    for method in ("meal_voucher", "holiday_voucher"):
        with pytest.raises(PaymentInvalid) as refused:
            sell(hotel, terminal, cashier, salad, [TenderInput(method, D("18.00"), D("20.00"))])
        assert "No change is given" in str(refused.value.message)
    assert snapshot() == before
    # when: the property keeps the excess as a tip
    hotel.paper_title_excess = PaperTitleExcess.TIP
    hotel.save(update_fields=["paper_title_excess"])
    order = sell(hotel, terminal, cashier, salad, [TenderInput("meal_voucher", D("18"), D("20"))])
    # then: 20 € of titles paid the 18 € salad and a 2 € tip, no change
    payment = order.ticket.payments.get()
    assert (payment.amount, payment.change) == (D("20.00"), D("0.00"))
    assert order.ticket.tip == D("2.00") and order.ticket.total == D("18.00")


def test_a_holiday_voucher_pays_anything_even_a_stay(hotel, catalog, terminal, cashier, product):
    order = sell(
        hotel, terminal, cashier, [line(product("spritz"))], [TenderInput("holiday_voucher", 11)]
    )
    assert order.ticket.payments.get().method == "holiday_voucher"
    folio = folio_open(property=hotel, holder_name="Durand")
    payments_record(
        property=hotel, folio=folio, tenders=[TenderInput("holiday_voucher", 50)], actor=cashier
    )
    with pytest.raises(PaymentInvalid, match="not for a stay"):
        payments_record(
            property=hotel, folio=folio, tenders=[TenderInput("meal_voucher", 10)], actor=cashier
        )


def test_the_meal_voucher_categories_and_cap_are_the_propertys(
    hotel, catalog, terminal, cashier, product
):
    # given: a property that accepts titres-restaurant for soft drinks too, up to 30 €
    hotel.meal_voucher_categories = ["food", "drinks"]
    hotel.meal_voucher_daily_cap = D("30.00")
    hotel.save(update_fields=["meal_voucher_categories", "meal_voucher_daily_cap"])
    order = sell(
        hotel,
        terminal,
        cashier,
        [line(product("entrecote")), line(product("cafe"))],  # 29 + 2.50
        [TenderInput("meal_voucher_card", D("30.00")), TenderInput("cash", D("1.50"))],
    )
    assert order.ticket.payments.get(method="meal_voucher_card").amount == D("30.00")


def test_each_title_has_its_clearing_account_and_line_in_the_exports(
    hotel, catalog, terminal, cashier, product
):
    food = [line(product("salade-nicoise"))]
    sell(hotel, terminal, cashier, food, [TenderInput("meal_voucher", 18)])
    sell(hotel, terminal, cashier, food, [TenderInput("meal_voucher_card", 18)])
    sell(hotel, terminal, cashier, food, [TenderInput("holiday_voucher", 18)])
    sell(hotel, terminal, cashier, food, [TenderInput("cheque", 18)])
    day = hotel.business_date()
    entries = daily_entries(property=hotel, day=day)
    debits = {line.account: line.debit for e in entries if e.journal == "BQ" for line in e.lines}
    assert debits["511300"] == D("18.00")  # titres-restaurant papier
    assert debits["511310"] == D("18.00")  # titres-restaurant carte
    assert debits["511400"] == D("18.00")  # chèques-vacances
    assert debits["511200"] == D("18.00")  # chèques
    for entry in entries:
        assert sum(x.debit for x in entry.lines) == sum(x.credit for x in entry.lines)
    end = day + timedelta(days=1)
    fec = "\n".join("|".join(r) for r in fec_rows(property=hotel, start=day, end=end))
    assert "511300|Titres-restaurant papier à encaisser" in fec
    assert "511400|Chèques-vacances ANCV à encaisser" in fec
    methods = [r[-1] for r in csv_rows(property=hotel, start=day, end=end)]
    assert {"meal_voucher", "meal_voucher_card", "holiday_voucher", "cheque"} <= set(methods)


# --- the screens and the API -----------------------------------------------------------


def test_counter_pays_with_meal_vouchers_and_cash_and_refuses_drinks(till, hotel, product):  # noqa: F811
    def cart(code):
        till.post("/pos/counter/add/", {"product_id": product(code).pk}, **HX)
        return till.session[f"pos_cart:{hotel.pk}"]["client_key"]

    key = cart("spritz")
    page = till.post(
        "/pos/counter/pay/",
        {"client_key": key, "action": "meal_voucher", "title_amount": "11"},
        **HX,
    ).content.decode()
    assert "Titres-restaurant pay for food only" in page
    assert not Ticket.objects.exists()
    till.post("/pos/counter/clear/", **HX)
    key = cart("salade-nicoise")  # 18 €
    till.post(
        "/pos/counter/pay/",
        {"client_key": key, "action": "meal_voucher", "title_amount": "16", "tendered": "5"},
        **HX,
    )
    payments = {p.method: (p.amount, p.change) for p in Payment.objects.all()}
    assert payments == {"meal_voucher": (D("16.00"), D("0")), "cash": (D("2.00"), D("3.00"))}


def test_counter_offers_the_titles_in_french(till, hotel, product):  # noqa: F811
    till.post("/pos/counter/add/", {"product_id": product("cafe").pk}, **HX)
    till.cookies["django_language"] = "fr"
    page = till.get("/pos/counter/").content.decode()
    assert "Titres-restaurant (papier)" in page and "Chèques-vacances" in page


def test_waiter_tablet_pays_with_a_meal_voucher_card(tablet, tables, product):  # noqa: F811
    tablet.post(f"/pos/tables/{tables['5'].pk}/open/", {"covers": 1})
    tab = tables["5"].tabs.get()
    steak = product("entrecote")  # 29 €, its cooking asked
    tablet.post(f"/pos/tabs/{tab.pk}/add/", {"product_id": steak.pk, **required_choices(steak)})
    tablet.post(
        f"/pos/tabs/{tab.pk}/pay/",
        {"split": "full", "action": "meal_voucher_card", "title_amount": "25",
         "card_reference": "TR-77", "tendered": "4", "pay_key": "t1"},
    )  # fmt: skip
    payments = {p.method: (p.amount, p.terminal_reference) for p in Payment.objects.all()}
    assert payments == {"meal_voucher_card": (D("25.00"), "TR-77"), "cash": (D("4.00"), "")}


def test_api_checkout_with_titles_and_the_refusal_in_french(client, hotel, catalog, terminal,
                                                            cashier):  # fmt: skip
    client.force_login(cashier)
    url = f"/api/v1/properties/{hotel.slug}/pos/orders"
    body = {
        "terminal": str(terminal.public_id),
        "lines": [{"product": "salade-nicoise"}],
        "tenders": [{"method": "meal_voucher", "amount": "18.00"}],
    }
    assert client.post(url, body, content_type="application/json").status_code == 201
    body["tenders"] = [{"method": "holiday_voucher", "amount": "18.00", "tendered": "20.00"}]
    client.cookies["django_language"] = "fr"
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 422
    assert "Aucune monnaie n'est rendue" in refused.json()["message"]
    assert Ticket.objects.count() == 1
