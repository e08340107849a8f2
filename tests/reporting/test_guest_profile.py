"""The guest profile: spend per category and outlet, visits, nights, average basket, read
from the documents (voided sales left out, a room-charged sale counted once), the merged
profiles included; preferences saved; GDPR actions for managers only."""

from decimal import Decimal

import pytest

from billing.services.folios import ChargeInput, folio_post_charges
from core.models import Role
from crm.models import Guest
from crm.services import guest_create
from crm.services.merge import guests_merge
from pms.models import Reservation
from pos.services.checkout import SaleRequest, order_checkout, order_refund, sale_checkout
from reporting.guests import guest_profile
from tests.factories.pos import make_terminal
from tests.factories.stays import make_stay
from tests.pos.helpers import cash, due, line


@pytest.fixture
def cashier(hotel, staff_of):
    return staff_of(hotel, Role.CASHIER, username="cashier")


@pytest.fixture
def stayed(hotel, catalog, product, cashier, manager):
    stay = make_stay(hotel, room_number="12", last_name="Profil")
    reservation = stay.reservation
    nights = (reservation.departure - reservation.arrival).days
    folio_post_charges(
        folio=reservation.folio,
        charges=[
            ChargeInput(
                description="Nuit",
                quantity=Decimal(nights),
                unit_price=Decimal("100.00"),
                total=Decimal("100.00") * nights,
                vat_rate=Decimal("10.00"),
                revenue_category="accommodation",
                service_date=hotel.business_date(),
                source="test:nights",
            )
        ],
        actor=manager,
        business_date=hotel.business_date(),
    )
    bar = make_terminal(hotel, outlet_code="bar", outlet_name="Bar")
    shop = make_terminal(hotel, outlet_code="boutique", outlet_name="Boutique")
    drinks = [line(product("spritz"), "2")]
    order_checkout(property=hotel, terminal=bar, actor=cashier, lines=drinks, room_number="12")
    basket = [line(product("pastis"))]
    sale_checkout(
        SaleRequest(
            property=hotel,
            terminal=shop,
            actor=cashier,
            lines=basket,
            tenders=cash(hotel, basket),
            guest=reservation.guest,
        )
    )
    voided = sale_checkout(
        SaleRequest(
            property=hotel,
            terminal=shop,
            actor=cashier,
            lines=basket,
            tenders=cash(hotel, basket),
            guest=reservation.guest,
        )
    ).order
    order_refund(order=voided, actor=manager, reason="mistake")
    Reservation.objects.filter(pk=reservation.pk).update(status=Reservation.Status.CHECKED_OUT)
    return reservation, nights, due(hotel, drinks), due(hotel, basket)


def test_the_figures_come_from_the_documents(hotel, stayed):
    reservation, nights, bar, shop = stayed
    profile = guest_profile(guest=reservation.guest)
    assert dict(profile.spend_by_category) == {
        "accommodation": Decimal("100.00") * nights,
        "alcohol": bar + shop,  # the room-charged drinks once, the refunded sale not at all
    }
    assert dict(profile.spend_by_outlet) == {"Bar": bar, "Boutique": shop}
    assert (profile.visits, profile.nights) == (1, nights)
    assert profile.average_basket == ((bar + shop) / 2).quantize(Decimal("0.01"))
    assert {e["kind"] for e in profile.timeline} == {"stay", "sale"}


def test_a_merged_profile_brings_its_history(hotel, stayed, manager):
    reservation, nights, _bar, _shop = stayed
    keep = guest_create(organization=hotel.organization, last_name="Profil")
    guests_merge(keep=keep, duplicate=reservation.guest, actor=manager)
    profile = guest_profile(guest=keep)
    assert profile.visits == 1 and profile.nights == nights


def test_the_screen_shows_figures_saves_preferences_and_hides_gdpr_from_the_desk(
    client, hotel, stayed, manager, staff_of
):
    reservation, nights, bar, shop = stayed
    guest = reservation.guest
    clerk = staff_of(hotel, Role.FRONT_DESK, username="clerk")
    client.force_login(clerk)
    page = client.get(f"/guests/{guest.public_id}/").content.decode()
    assert f'data-testid="nights">{nights}<' in page
    assert 'data-testid="erase"' not in page
    client.post(f"/guests/{guest.public_id}/preferences/", {"allergies": "Lactose", "diet": ""})
    assert Guest.objects.get(pk=guest.pk).allergies == "Lactose"
    assert client.get(f"/guests/{guest.public_id}/export.json").status_code == 403
    too_long = client.post(
        f"/guests/{guest.public_id}/preferences/", {"allergies": "x" * 301}, follow=True
    )
    assert "A guest field is too long." in too_long.content.decode()
    client.force_login(manager)
    exported = client.get(f"/guests/{guest.public_id}/export.json")
    assert exported.json()["profile"]["allergies"] == "Lactose"
    refused = client.post(f"/guests/{guest.public_id}/erase/", {"confirm": "no"}, follow=True)
    assert "Type ERASE to confirm the erasure." in refused.content.decode()
    # the folio still owes the nights and the drinks: refused, with the reason
    open_folio = client.post(f"/guests/{guest.public_id}/erase/", {"confirm": "ERASE"}, follow=True)
    assert "still has a balance" in open_folio.content.decode()
    assert Guest.objects.get(pk=guest.pk).last_name == "Profil"
    other = guest_create(organization=hotel.organization, last_name="Oubli")
    client.post(f"/guests/{other.public_id}/erase/", {"confirm": "ERASE"})
    assert Guest.objects.get(pk=other.pk).last_name == "—"


def test_a_waiter_cannot_open_a_profile(client, hotel, waiter):
    guest = guest_create(organization=hotel.organization, last_name="X")
    client.force_login(waiter)
    assert client.get(f"/guests/{guest.public_id}/").status_code == 403
