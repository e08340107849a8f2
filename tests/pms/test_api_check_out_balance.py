"""The API's check-out does what the desk screen does with a balance left: pay it, transfer
it to a company's account (a role with the city ledger), or leave it open on a manager's PIN
and a reason; anything else is refused and nothing is posted."""

import pytest

from billing.selectors import open_balances
from core.models import Role
from crm.models import Company
from pms.models import Reservation, Room
from pms.services.stays import reservation_check_in
from tests.factories.core import make_staff
from tests.factories.screens import book, rooms  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stay(hotel, book):  # noqa: F811
    res = book("classique", nights=1, last_name="Durand")
    room = Room.objects.get(property=hotel, number="101")
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room.pk})
    return res


def check_out(client, hotel, res, body):
    return client.post(
        f"/api/v1/properties/{hotel.slug}/reservations/{res.reference}/check-out",
        body,
        content_type="application/json",
    )


def test_front_desk_cannot_transfer_a_balance_to_a_company(client, hotel, stay):
    company = Company.objects.create(organization=hotel.organization, name="ACME")
    client.force_login(make_staff(hotel, Role.FRONT_DESK, username="desk"))
    response = check_out(client, hotel, stay, {"company": company.pk})
    assert response.status_code == 403
    stay.refresh_from_db()
    assert stay.status == Reservation.Status.IN_HOUSE


def test_a_manager_transfers_the_balance_to_a_company(client, hotel, stay, manager):
    company = Company.objects.create(organization=hotel.organization, name="ACME")
    client.force_login(manager)
    unknown = check_out(client, hotel, stay, {"company": company.pk + 99})
    assert unknown.status_code == 422
    response = check_out(client, hotel, stay, {"company": company.pk})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "checked_out"


def test_leave_open_needs_the_managers_pin_and_a_reason(client, hotel, stay, manager):
    client.force_login(make_staff(hotel, Role.FRONT_DESK, username="desk"))
    wrong = check_out(
        client,
        hotel,
        stay,
        {"leave_open": {"approver": manager.pk, "pin": "000000", "reason": "Virement"}},
    )
    assert wrong.status_code in (403, 422)
    stay.refresh_from_db()
    assert stay.status == Reservation.Status.IN_HOUSE
    both = check_out(
        client,
        hotel,
        stay,
        {"company": 1, "leave_open": {"approver": manager.pk, "pin": "666666", "reason": "x"}},
    )
    assert both.status_code == 422
    ok = check_out(
        client,
        hotel,
        stay,
        {"leave_open": {"approver": manager.pk, "pin": "666666", "reason": "Réglera par virement"}},
    )
    assert ok.status_code == 200, ok.json()
    assert [f.pk for f in open_balances(property=hotel)] == [stay.folio_id]
