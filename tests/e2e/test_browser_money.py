"""The accountant's reconciliation in Chromium, in French: a drawer 4,50 € short and cash
taken at the front desk, each compared with what was counted, amounts as a French
accountant writes them; the check-out's balance choice and the open balances list."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.services.folios import folio_open
from billing.services.payments import TenderInput, payments_record
from core.models import Property, Role
from pos.services.cash import cash_session_close, cash_session_open
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


def in_french(page, live_server):
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])


def test_reconciliation_in_french(
    open_as,  # noqa: F811  (fixtures from test_browser)
    live_server,
    viewport,  # noqa: F811
    hotel,
    catalog,
    product,
    terminal,
    manager,
):
    # given: a drawer (150 € float) that sold two spritz in cash and was counted 4,50 € short
    session = cash_session_open(terminal=terminal, actor=manager, opening_float=D("150.00"))
    spritz = product("spritz")
    order_checkout(
        property=hotel,
        terminal=terminal,
        actor=manager,
        lines=[line(spritz, "2")],
        tenders=[TenderInput(method="cash", amount=D("22.00"))],
    )
    cash_session_close(session=session, actor=manager, counted_cash=D("167.50"))
    # and 30 € taken in cash at the front desk, outside any drawer
    folio = folio_open(property=hotel, holder_name="Réception")
    payments_record(
        property=hotel, folio=folio, tenders=[TenderInput("cash", D("30.00"))], actor=manager
    )
    accountant = make_staff(hotel, Role.ACCOUNTANT, username="compta")
    page = open_as(accountant)
    in_french(page, live_server)
    day = hotel.business_date().isoformat()
    page.goto(f"{live_server.url}/billing/accounting/?start={day}&end={day}")
    cash = page.locator("[data-testid=reconciliation] tr[data-method=cash]")
    assert cash.locator("td").nth(1).inner_text() == "52,00\u00a0€"
    assert cash.locator("td").nth(2).inner_text() == "non compté"
    # when: the front desk's cash is counted on the accountant's screen
    page.select_option("select[name=method]", "cash")
    page.fill("input[name=counted]", "30,00")
    page.click("text=Enregistrer le comptage")
    page.wait_for_selector("text=Comptage enregistré")
    page.goto(f"{live_server.url}/billing/accounting/?start={day}&end={day}")
    # then: recorded 52,00 €, counted 47,50 €, 4,50 € short, and nothing else
    cells = [c.inner_text() for c in cash.locator("td").all()]
    assert cells[1:] == ["52,00\u00a0€", "47,50\u00a0€", "-4,50\u00a0€"]
    drawer = page.locator("[data-testid=drawer-row]").first.inner_text()
    assert "22,00\u00a0€" in drawer and "-4,50\u00a0€" in drawer
    desk = page.locator("[data-testid=desk-row]").inner_text()
    assert "30,00\u00a0€" in desk and "0,00\u00a0€" in desk
    total = page.locator("[data-testid=day-difference]").inner_text()
    assert total.endswith("-4,50\u00a0€") and "pas encore comptés" not in total
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "money-reconciliation-fr", viewport)
    # when: the accountant closes the day in the evening, and the bar sells one more coffee
    page.select_option("select[name=period]", "day")
    page.fill("input[type=date][name=day]", day)
    page.click("text=Lancer la clôture")
    page.wait_for_selector("text=22,00\u00a0€")
    late = order_checkout(
        property=Property.objects.get(pk=hotel.pk),
        terminal=terminal,
        actor=manager,
        lines=[line(product("cafe"), "1")],
        tenders=[TenderInput(method="cash", amount=D("2.50"))],
    )
    # then: the coffee is on the next business day; the closure still holds the day's 22 €
    assert late.ticket.business_date == hotel.business_date() + timedelta(days=1)
    page.reload()
    closure_row = page.locator("tr", has_text="Journalière").first.inner_text()
    assert "22,00\u00a0€" in closure_row


def test_check_out_balance_choice_and_open_balances(
    open_as,  # noqa: F811
    live_server,
    viewport,  # noqa: F811
    hotel,
    book,
    manager,
):
    from pms.models import Reservation, Room
    from pms.services.stays import reservation_check_in

    res = book("classique", nights=1, last_name="Durand")
    room = Room.objects.get(property=hotel, number="101")
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room.pk})
    desk = make_staff(hotel, Role.FRONT_DESK, username="accueil")
    page = open_as(desk)
    in_french(page, live_server)
    page.goto(f"{live_server.url}/frontdesk/reservations/{res.reference}/")
    page.click("[data-testid=check-out]")
    page.wait_for_selector("[data-testid=error] >> text=reste dû")
    assert "\u00a0€" in page.inner_text("[data-testid=error]")
    page.check("[data-testid=balance-open]")
    page.select_option("[data-testid=balance-approver]", str(manager.pk))
    page.fill("[data-testid=balance-pin]", "666666")
    page.fill("[data-testid=balance-reason]", "Réglera par virement")
    screenshot(page, "money-check-out-choice-fr", viewport)
    page.click("[data-testid=check-out]")
    page.wait_for_selector("[data-testid=notice]")
    res.refresh_from_db()
    assert res.status == Reservation.Status.CHECKED_OUT
    page.goto(f"{live_server.url}/billing/open-balances/")
    row = page.locator("[data-testid=open-balance]").inner_text()
    assert res.reference in row and "Réglera par virement" in row and "\u00a0€" in row
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "money-open-balances-fr", viewport)
