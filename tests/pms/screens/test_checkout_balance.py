"""Check-out with a balance: refused unless paid, transferred to a company's account by a
role allowed to, or left open with a manager's PIN and a reason; the open balances list."""

import pytest
from django.urls import reverse

from billing.models import Folio, FolioLine, Invoice, Payment
from core.models import AuditEntry, Role
from crm.models import Company
from pms.models import Reservation, Room
from pms.services.stays import reservation_check_in
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def in_house(hotel, book):
    res = book("classique", nights=1, last_name="Depart")
    room = Room.objects.get(property=hotel, number="101")
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room.pk})
    res.refresh_from_db()
    return res


def url(res, action=""):
    return f"/frontdesk/reservations/{res.reference}/{action}"


def test_check_out_with_a_balance_is_refused_and_changes_nothing(client, clerk, in_house):
    client.force_login(clerk)
    client.cookies["django_language"] = "fr"
    page = client.post(url(in_house, "check-out/"), **HX).content.decode()
    in_house.refresh_from_db()
    assert in_house.status == Reservation.Status.IN_HOUSE
    assert "reste dû" in page and "\u00a0€" in page  # the amount, formatted in French
    assert not FolioLine.objects.filter(folio=in_house.folio).exists()
    assert not Payment.objects.exists()


def test_a_front_desk_clerk_cannot_transfer_to_a_company(client, clerk, hotel, in_house):
    company = Company.objects.create(organization=hotel.organization, name="Acme SAS")
    client.force_login(clerk)
    page = client.post(
        url(in_house, "check-out/"), {"balance": "transfer", "company": company.pk}, **HX
    ).content.decode()
    in_house.refresh_from_db()
    assert in_house.status == Reservation.Status.IN_HOUSE
    assert "Only a manager or the accountant may transfer" in page
    assert not Invoice.objects.exists()


def test_a_manager_transfers_the_balance_to_the_company_account(client, hotel, in_house):
    company = Company.objects.create(organization=hotel.organization, name="Acme SAS")
    client.force_login(make_staff(hotel, Role.MANAGER, username="boss", pin="666666"))
    client.post(url(in_house, "check-out/"), {"balance": "transfer", "company": company.pk})
    in_house.refresh_from_db()
    assert in_house.status == Reservation.Status.CHECKED_OUT
    invoice = Invoice.objects.get(folio=in_house.folio)
    assert invoice.company == company and invoice.balance == invoice.total > 0
    folio = Folio.objects.get(pk=in_house.folio_id)
    assert folio.status == Folio.Status.OPEN and folio.company == company
    listing = client.get(reverse("billing:open_balances")).content.decode()
    row = listing[listing.index('data-testid="open-balance"') :]
    row = row[: row.index("</tr>")]
    assert in_house.reference in row and "Acme SAS" in row
    assert f"€{invoice.total:,.2f}" in row


def test_left_open_needs_a_managers_pin_and_a_reason(client, clerk, hotel, in_house):
    manager = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(clerk)
    base = {"balance": "open", "approver": manager.pk}
    for data, error in (
        ({**base, "pin": "666666", "reason": "  "}, "Give the reason"),
        ({**base, "pin": "000000", "reason": "Paiera demain"}, ""),
        ({**base, "approver": clerk.pk, "pin": "1", "reason": "x"}, "Choose the manager"),
    ):
        page = client.post(url(in_house, "check-out/"), data, **HX).content.decode()
        in_house.refresh_from_db()
        assert in_house.status == Reservation.Status.IN_HOUSE
        assert 'data-testid="error"' in page and error in page
    client.post(
        url(in_house, "check-out/"),
        {**base, "pin": "666666", "reason": "Paiera demain par virement"},
    )
    in_house.refresh_from_db()
    assert in_house.status == Reservation.Status.CHECKED_OUT
    folio = Folio.objects.get(pk=in_house.folio_id)
    assert folio.left_open_by == manager and folio.status == Folio.Status.OPEN
    assert AuditEntry.objects.filter(action="billing.folio.left_open").count() == 1
    # the desk, the manager and the accountant see it in the open balances
    for role in (Role.FRONT_DESK, Role.MANAGER, Role.ACCOUNTANT):
        client.force_login(make_staff(hotel, role, username=f"who-{role}"))
        listing = client.get(reverse("billing:open_balances")).content.decode()
        assert "Paiera demain par virement" in listing and in_house.reference in listing
    # a waiter does not
    client.force_login(make_staff(hotel, Role.WAITER, username="serveur"))
    assert client.get(reverse("billing:open_balances")).status_code == 403
    # once paid, it leaves the list
    client.force_login(clerk)
    balance = sum(line.total for line in folio.lines.all())
    client.post(
        url(in_house, "payment/"),
        {"amount": str(balance), "method": "card", "reference": "TPE-5"},
    )
    listing = client.get(reverse("billing:open_balances")).content.decode()
    assert "No open balance." in listing
