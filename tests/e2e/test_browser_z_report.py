"""The Z report and the accountant's reconciliation in Chromium, in French, at the tablet's
768 px and a laptop's 1280 px: amounts as babel writes them (`1 234,56 €`, narrow no-break
space between thousands, no-break space before the sign), the plurals right, nothing wider
than the screen, and no button whose label wraps onto a second line."""

from decimal import Decimal

import pytest

from billing.services.payments import TenderInput
from core.formatting import money
from core.models import Role
from pos.services.cash import DrawerCount, cash_session_close, cash_session_open
from pos.services.checkout import order_checkout
from tests.e2e.test_browser import (  # noqa: F401  (the browser fixtures)
    _async_unsafe,
    browser,
    open_as,
    screenshot,
    viewport,
)
from tests.factories.core import make_staff
from tests.pos.helpers import line

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal

WRAPPED_BUTTONS = """() => [...document.querySelectorAll('.btn')].filter(b => {
  const r = document.createRange(); r.selectNodeContents(b);
  const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
  return b.offsetParent !== null && tops.size > 1;
}).map(b => b.innerText)"""


def in_french(page, live_server):
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])


def assert_fits(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(WRAPPED_BUTTONS) == []


def test_z_report_and_reconciliation_in_french(
    open_as,  # noqa: F811
    live_server,
    viewport,  # noqa: F811
    hotel,
    catalog,
    product,
    terminal,
    manager,
):
    # given: a 1 000 € float, 1 234,50 € of sales (cash, card, titres-restaurant), a blind
    # close by denomination 4,50 € short
    session = cash_session_open(terminal=terminal, actor=manager, opening_float=D("1000"))

    def sell(code, qty, tender):
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=manager,
            lines=[line(product(code), qty)],
            tenders=[tender],
        )

    sell("entrecote", "40", TenderInput("card", D("1160.00"), None, "TPE-1"))  # 40 × 29
    sell("salade-nicoise", "1", TenderInput("meal_voucher", D("18.00")))
    sell("spritz", "5", TenderInput("cash", D("55.00"), D("60.00")))
    sell("cafe", "1", TenderInput("cash", D("2.50")))  # 57,50 € in cash
    cash_session_close(
        session=session,
        actor=manager,
        count=DrawerCount(
            pieces={
                "cash": {D("500"): 2, D("50"): 1, D("2"): 1, D("1"): 1},  # 1 053,00 €
                "meal_voucher": {D("9.00"): 2},
            },
            slips={"card": D("1160.00")},
        ),
    )
    assert money(D("1234.50"), language="fr") == "1\u202f234,50\u00a0€"
    # when: the cashier opens the drawer's Z report in French
    page = open_as(manager)
    in_french(page, live_server)
    page.goto(f"{live_server.url}/pos/cash/sessions/{session.pk}/")
    # then: French amounts, babel's spaces, plurals right
    assert page.inner_text("[data-testid=z-gross]") == "1\u202f235,50\u00a0€"
    assert page.inner_text("[data-testid=z-ticket-count]") == "4 tickets"
    counts = page.locator("[data-testid=z-counts] tr[data-method=cash] td").all_inner_texts()
    assert counts == ["Espèces", "1\u202f053,00\u00a0€", "1\u202f057,50\u00a0€", "-4,50\u00a0€"]
    methods = page.inner_text("[data-testid=z-methods]")
    assert "Titre-restaurant (papier)" in methods and "1\u202f160,00\u00a0€" in methods
    assert "0 ticket annulé" in page.inner_text("[data-testid=z-corrections]")
    assert_fits(page)
    screenshot(page, "money-z-report-fr", viewport)
    # and the day's report over every till
    page.goto(f"{live_server.url}/pos/cash/day/")
    assert "1 tiroir" in page.inner_text("[data-testid=report-period]")
    assert_fits(page)
    screenshot(page, "money-z-report-day-fr", viewport)
    # when: the accountant opens the reconciliation
    accountant = make_staff(hotel, Role.ACCOUNTANT, username="compta")
    page = open_as(accountant)
    in_french(page, live_server)
    day = hotel.business_date().isoformat()
    page.goto(f"{live_server.url}/billing/accounting/?start={day}&end={day}")
    # then: per method, French amounts, and the day's difference is the drawer's
    card = page.locator("[data-testid=reconciliation] tr[data-method=card] td").all_inner_texts()
    assert card[1:] == ["1\u202f160,00\u00a0€", "1\u202f160,00\u00a0€", "0,00\u00a0€"]
    total = page.inner_text("[data-testid=day-difference]")
    assert total.endswith("-4,50\u00a0€") and "pas encore comptés" not in total
    assert_fits(page)
    screenshot(page, "money-reconciliation-methods-fr", viewport)
