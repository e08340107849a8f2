"""Cash in / cash out with a reason on a till's drawer: counted in the expected cash, shown
in the X and Z reports, and the accountant's reconciliation of the day uses the drawers'
numbers (one source of truth)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import JournalEntry
from billing.services.folios import folio_open
from billing.services.payments import TenderInput, payments_record
from billing.services.reconciliation import cash_count_record, reconciliation_for_day
from core.exceptions import Conflict, InvalidInput
from core.models import AuditEntry, Role
from pos.models import CashMovement, CashSession
from pos.services.cash import cash_movement_record, cash_session_close, cash_session_open
from pos.services.checkout import order_checkout
from tests.pos.helpers import line

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def drawer(client, hotel, manager, terminal):
    client.force_login(manager)
    client.post("/pos/terminals/", {"action": "bind", "terminal_id": terminal.pk})
    client.post(reverse("pos:cash_open"), {"float": "100,00"})
    return CashSession.objects.get(terminal=terminal, status="open")


def test_cash_in_and_out_from_the_screen_are_counted_and_reported(
    client, hotel, manager, terminal, drawer, catalog, product
):
    spritz = product("spritz")
    order_checkout(
        property=hotel,
        terminal=terminal,
        actor=manager,
        lines=[line(spritz, "2")],
        tenders=[TenderInput(method="cash", amount=spritz.price * 2)],
    )
    sales = spritz.price * 2
    client.post(
        reverse("pos:cash_movement"),
        {"direction": "in", "amount": "50", "reason": "Monnaie du coffre"},
    )
    client.post(
        reverse("pos:cash_movement"),
        {"direction": "out", "amount": "12,40", "reason": "Livraison glaçons payée"},
    )
    # a movement without a reason is refused, nothing recorded
    page = client.post(
        reverse("pos:cash_movement"),
        {"direction": "out", "amount": "5", "reason": "  "},
        follow=True,
    ).content.decode()
    assert "Give the reason for this cash movement." in page
    assert [m.amount for m in CashMovement.objects.order_by("pk")] == [D("50.00"), D("-12.40")]
    assert AuditEntry.objects.filter(action="pos.cash_session.movement").count() == 2
    assert JournalEntry.objects.filter(chain="jet", code="910").count() == 2

    expected = D("100.00") + sales + D("50.00") - D("12.40")
    x = client.get(reverse("pos:cash_x")).content.decode()
    assert "Monnaie du coffre" in x and "Livraison glaçons payée" in x
    assert f"€{expected}" in x

    response = client.post(reverse("pos:cash_close"), {"counted": str(expected - D("1.00"))})
    z = client.get(response["Location"]).content.decode()
    assert "Livraison glaçons payée" in z and "-€1.00" in z
    drawer.refresh_from_db()
    assert drawer.expected_cash == expected and drawer.difference == D("-1.00")

    # the accountant's reconciliation of the day shows the same numbers
    (cash,) = [
        r
        for r in reconciliation_for_day(property=hotel, business_date=hotel.business_date())
        if r["method"] == "cash"
    ]
    # expected: the cash payments alone; counted: the drawer's count less float and cash in/out
    assert cash["expected"] == sales
    assert cash["counted"] == expected - D("1.00") - D("100.00") - D("37.60") == sales - 1
    assert cash["difference"] == D("-1.00") == cash["drawers_difference"]
    assert cash["outside_drawers"] == D("0.00")
    (row,) = cash["drawers"]
    assert (row["expected"], row["difference"]) == (drawer.expected_cash, drawer.difference)


def test_reconciliation_on_the_accountant_screen_names_cash_outside_drawers(
    client, hotel, manager, terminal, staff_of
):
    session = cash_session_open(terminal=terminal, actor=manager, opening_float=D("80"))
    cash_movement_record(
        session=session, actor=manager, direction="out", amount=D("20"), reason="Banque"
    )
    folio = folio_open(property=hotel, holder_name="Réception")
    # front desk cash, taken at no drawer
    payments_record(
        property=hotel, folio=folio, tenders=[TenderInput("cash", D("30.00"))], actor=manager
    )
    cash_session_close(session=session, actor=manager, counted_cash=D("60.00"))
    accountant = staff_of(hotel, Role.ACCOUNTANT, username="compta")
    client.force_login(accountant)
    day = hotel.business_date().isoformat()
    page = client.get(reverse("billing:accounting"), {"start": day, "end": day}).content.decode()
    assert "Cash taken outside any drawer (front desk)" in page
    (cash,) = [
        r
        for r in reconciliation_for_day(property=hotel, business_date=hotel.business_date())
        if r["method"] == "cash"
    ]
    # 30 taken at the desk is expected; the drawer (80 float, 20 out, 60 counted) is right,
    # its count is not the desk's: the desk cash stays "not counted" until counted
    assert (cash["expected"], cash["counted"], cash["difference"]) == (D("30.00"), None, None)
    (drawer_row,) = cash["drawers"]
    assert (drawer_row["payments"], drawer_row["counted_payments"]) == (D("0.00"), D("0.00"))
    cash_count_record(
        property=hotel,
        business_date=hotel.business_date(),
        method="cash",
        counted="30",
        actor=accountant,
    )
    (cash,) = [
        r
        for r in reconciliation_for_day(property=hotel, business_date=hotel.business_date())
        if r["method"] == "cash"
    ]
    assert (cash["expected"], cash["counted"], cash["difference"]) == (
        D("30.00"),
        D("30.00"),
        D("0.00"),
    )
    page = client.get(reverse("billing:accounting"), {"start": day, "end": day}).content.decode()
    assert "Enregistré" not in page  # English screen
    row = page[page.index('data-method="cash"') :]
    assert "€30.00" in row[: row.index("</tr>")]
    footer = page[page.index('data-testid="day-difference"') :]
    assert "€0.00" in footer[: footer.index("</tr>")]


def test_movement_rules(hotel, manager, terminal):
    session = cash_session_open(terminal=terminal, actor=manager, opening_float=D("10"))
    for direction, amount, reason in (
        ("sideways", D("5"), "x"),
        ("in", D("0"), "x"),
        ("in", D("-5"), "x"),
        ("out", D("5"), ""),
    ):
        with pytest.raises(InvalidInput):
            cash_movement_record(
                session=session, actor=manager, direction=direction, amount=amount, reason=reason
            )
    cash_session_close(session=session, actor=manager, counted_cash=D("10"))
    with pytest.raises(Conflict):
        cash_movement_record(
            session=session, actor=manager, direction="in", amount=D("5"), reason="late"
        )
    assert not CashMovement.objects.exists()


def test_the_books_follow_the_drawer_movements_and_its_difference(
    hotel, manager, terminal, catalog, product
):
    """The accountant's cash account (530) moves with the drawer: a bank deposit taken out of
    the till goes to internal transfers (580), a shortage at closing to 658; every entry of the
    day still balances."""
    from billing.services.accounting import daily_entries

    spritz = product("spritz")
    session = cash_session_open(terminal=terminal, actor=manager, opening_float=D("100"))
    order_checkout(
        property=hotel,
        terminal=terminal,
        actor=manager,
        lines=[line(spritz, "2")],
        tenders=[TenderInput(method="cash", amount=spritz.price * 2)],
    )
    cash_movement_record(
        session=session, actor=manager, direction="out", amount=D("60"), reason="Dépôt banque"
    )
    expected = D("100") + spritz.price * 2 - D("60")
    cash_session_close(session=session, actor=manager, counted_cash=expected - D("2.50"))

    entries = daily_entries(property=hotel, day=session.business_date)
    for entry in entries:
        assert entry.debit == entry.credit, entry
    drawer = next(e for e in entries if any(x.account == "580000" for x in e.lines))
    assert drawer.journal == "CA"
    lines = [(x.account, x.debit, x.credit) for x in drawer.lines]
    assert ("580000", D("60.00"), D("0")) in lines
    assert ("530000", D("0"), D("60.00")) in lines
    assert ("658000", D("2.50"), D("0")) in lines
    assert ("530000", D("0"), D("2.50")) in lines
    # the 530 balance of the day is the cash left in the drawer beyond its float
    cash = sum(
        (x.debit - x.credit for e in entries for x in e.lines if x.account == "530000"), D("0")
    )
    assert cash == spritz.price * 2 - D("60") - D("2.50")
