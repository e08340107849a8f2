"""The reservation desk in real headless Chromium at tablet portrait (768×1024), in French as
the receptionist reads it (issue 19): a phone booking, a walk-in checked in at once, a change
of dates that re-prices, a cancellation inside and outside the free period (the fee on the
folio), a no-show fee from the night audit, a group of 5 rooms with its rooming list.
Screenshots go to test-artifacts/screens/; amounts read `1 234,56 €`, nights "2 nuits", and
no amount wraps, nothing scrolls sideways."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.models import FolioLine
from core.formatting import money
from inventory.models import Channel, RatePlan
from pms.models import Reservation
from pms.services.reservations import RoomRequest, reservation_create
from pms.tasks import room_nights_post_task
from tests.e2e import test_browser as shared

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
screenshot = shared.screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport():
    return (768, 1024)


@pytest.fixture
def late_fee(hotel, catalog):
    plan = RatePlan.objects.get(property=hotel, code="public")
    plan.guarantee, plan.cancel_free_days, plan.cancel_fee_nights = "card", 2, 1
    plan.save()
    return plan


@pytest.fixture
def guest(hotel):
    from crm.services import guest_create

    return guest_create(organization=hotel.organization, first_name="Camille", last_name="Martin")


@pytest.fixture
def french(open_as, live_server):
    def make(user):
        page = open_as(user)
        page.context.add_cookies(
            [{"name": "django_language", "value": "fr", "url": live_server.url}]
        )
        return page

    return make


def fits(page):
    """No sideways scroll, and no amount or price broken over two lines."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    wrapped = page.evaluate(
        "[...document.querySelectorAll('td.num, .nowrap, [data-testid=price], "
        "[data-testid=difference], [data-testid=fee]')]"
        ".filter(el => el.offsetParent !== null)"
        ".filter(el => el.getClientRects().length > 1)"
        ".map(el => el.textContent.trim())"
    )
    assert wrapped == []


def fee_lines(res):
    return list(FolioLine.objects.filter(folio=res.folio, source__contains="_fee:"))


def booked(hotel, guest, rooms, *, offset, nights=2, channel=Channel.FRONT_DESK):
    arrival = hotel.business_date() + timedelta(days=offset)
    return reservation_create(
        property=hotel,
        guest=guest,
        arrival=arrival,
        departure=arrival + timedelta(days=nights),
        rooms=[RoomRequest(rooms["classique"].pk, 2, 0)],
        channel=channel,
    )


def new_booking(page, live_server, arrival, departure, *, rooms=1, walk_in=False):
    page.goto(f"{live_server.url}/frontdesk/")
    page.click("[data-testid=new-reservation]")
    page.fill("#arrival", arrival.isoformat())
    page.fill("#departure", departure.isoformat())
    page.fill("#rooms", str(rooms))
    if walk_in:
        page.check("[data-testid=walk-in]")
    page.click("[data-testid=find-offers]")
    page.wait_for_selector("[data-testid=offers]")


def test_a_phone_booking(french, live_server, viewport, hotel, rooms, clerk, late_fee):
    page = french(clerk)
    arrival = hotel.business_date() + timedelta(days=10)
    new_booking(page, live_server, arrival, arrival + timedelta(days=2))
    offer = page.locator(f"[data-testid=offer-classique-{late_fee.code}]")
    # the plan's terms with the price, in French
    text = page.inner_text("[data-testid=offer-classique]")
    assert "Annulation gratuite jusqu’à 2 jours avant l’arrivée, puis des frais de 1 nuit." in text
    assert "2 nuits" in page.inner_text("[data-testid=booking-form] h2")
    price = page.inner_text("[data-testid=offer-classique] [data-testid=price]").strip()
    assert price.endswith("\xa0€") and "," in price  # 1 234,56 €
    fits(page)
    screenshot(page, "desk-booking-1-offers", viewport)
    offer.check()
    page.fill("#last_name", "Lefebvre")
    page.fill("#first_name", "Hélène")
    page.fill("#phone", "06 44 55 66 77")
    page.fill("#guarantee_note", "Carte notée au téléphone")
    page.click("[data-testid=book]")
    page.wait_for_selector(".messages >> text=est réservée")
    res = Reservation.objects.get(guest__last_name="Lefebvre")
    # the same quote() price as offered
    assert res.channel == Channel.FRONT_DESK and money(res.total_price, language="fr") == price
    assert "Une carte garantit la réservation" in page.inner_text("[data-testid=policy]")
    fits(page)
    screenshot(page, "desk-booking-2-booked", viewport)


def test_a_walk_in_checked_in_at_once(french, live_server, viewport, hotel, rooms, clerk, catalog):
    page = french(clerk)
    today = hotel.business_date()
    new_booking(page, live_server, today, today + timedelta(days=1), walk_in=True)
    assert "1 nuit" in page.inner_text("[data-testid=booking-form] h2")
    page.locator("[data-testid=offers] input[type=radio]").first.check()
    page.fill("#last_name", "Passant")
    page.click("[data-testid=book]")
    page.wait_for_selector("[data-testid=check-in-form]")
    screenshot(page, "desk-walk-in-1-booked", viewport)
    page.click("[data-testid=check-in]")
    page.wait_for_selector("[data-testid=status] >> text=En séjour")
    assert Reservation.objects.get(guest__last_name="Passant").status == "in_house"
    fits(page)
    screenshot(page, "desk-walk-in-2-in-house", viewport)


def test_a_date_change_that_re_prices(french, live_server, viewport, hotel, rooms, clerk, guest):
    res = booked(hotel, guest, rooms, offset=5, nights=2)
    before = res.total_price
    page = french(clerk)
    page.goto(f"{live_server.url}/frontdesk/reservations/{res.reference}/")
    page.click("[data-testid=change]")
    page.fill("#departure", (res.departure + timedelta(days=2)).isoformat())
    page.click("[data-testid=preview]")
    page.wait_for_selector("[data-testid=requote]")
    assert "4 nuits" in page.inner_text("[data-testid=requote]")
    assert page.inner_text("[data-testid=before]").strip() == money(before, language="fr")
    res.refresh_from_db()
    assert res.total_price == before  # shown, not saved
    fits(page)
    screenshot(page, "desk-change-1-priced", viewport)
    page.click("[data-testid=save-change]")
    page.wait_for_selector(".messages >> text=modifiée")
    res.refresh_from_db()
    assert res.nights == 4 and res.total_price > before
    assert money(res.total_price, language="fr") in page.inner_text(".messages")
    screenshot(page, "desk-change-2-saved", viewport)


def test_cancellations_inside_and_outside_the_free_period(
    french, live_server, viewport, hotel, rooms, clerk, guest, late_fee
):
    early = booked(hotel, guest, rooms, offset=10)
    late = booked(hotel, guest, rooms, offset=1)
    page = french(clerk)
    # inside the free period: nothing to pay
    page.goto(f"{live_server.url}/frontdesk/reservations/{early.reference}/cancel/")
    assert "gratuit" in page.inner_text("[data-testid=fee]")
    page.click("[data-testid=confirm-cancel]")
    page.wait_for_selector(".messages >> text=est annulée")
    assert fee_lines(early) == []
    # outside it: one night, on the folio
    page.goto(f"{live_server.url}/frontdesk/reservations/{late.reference}/cancel/")
    one_night = Decimal(sorted(late.rooms.get().nightly_prices.items())[0][1])
    assert money(one_night, language="fr") in page.inner_text("[data-testid=fee]")
    fits(page)
    screenshot(page, "desk-cancel-1-fee", viewport)
    page.fill("#reason", "Empêchement")
    page.click("[data-testid=confirm-cancel]")
    page.wait_for_selector(".messages >> text=est annulée")
    assert "Frais d’annulation" in page.inner_text("[data-testid=folio-lines]")
    assert [line.total for line in fee_lines(late)] == [one_night]
    fits(page)
    screenshot(page, "desk-cancel-2-on-folio", viewport)


def test_a_no_show_fee_from_the_night_audit(
    french, live_server, viewport, hotel, rooms, clerk, guest, late_fee
):
    # due yesterday (an OTA booking may start in the past), never came
    res = booked(hotel, guest, rooms, offset=-1, channel=Channel.OTA)
    room_nights_post_task()
    page = french(clerk)
    page.goto(f"{live_server.url}/frontdesk/reservations/{res.reference}/")
    assert page.inner_text("[data-testid=status]") == "Non présenté"
    # the line is worded in the property's language, whatever the audit's worker speaks
    assert "Frais de non-présentation" in page.inner_text("[data-testid=folio-lines]")
    one_night = Decimal(sorted(res.rooms.get().nightly_prices.items())[0][1])
    assert money(one_night, language="fr") in page.inner_text("[data-testid=folio-lines]")
    fits(page)
    screenshot(page, "desk-no-show", viewport)


def test_a_group_of_5_rooms_with_a_rooming_list(
    french, live_server, viewport, hotel, rooms, clerk, catalog
):
    page = french(clerk)
    arrival = hotel.business_date() + timedelta(days=20)
    new_booking(page, live_server, arrival, arrival + timedelta(days=3), rooms=5)
    assert "5 chambres" in page.inner_text("[data-testid=booking-form] h2")
    page.locator("[data-testid=offer-classique] input[type=radio]").first.check()
    page.fill("#last_name", "Roux")
    page.fill("#group_name", "Mariage Roux")
    page.fill("#name_1", "Anne Roux")
    page.fill("#name_2", "Paul Roux")
    fits(page)
    screenshot(page, "desk-group-1-form", viewport)
    page.click("[data-testid=book]")
    page.wait_for_selector("[data-testid=rooming-list-form]")
    res = Reservation.objects.get(group_name="Mariage Roux")
    assert res.rooms.count() == 5 and res.folio_id is not None
    names = page.locator("[data-testid=rooming-name]")
    assert names.count() == 5
    assert names.nth(0).input_value() == "Anne Roux"
    names.nth(4).fill("Léa Martin")
    page.click("[data-testid=save-rooming-list]")
    page.wait_for_selector(".messages >> text=Liste des occupants enregistrée")
    assert list(res.rooms.order_by("pk").values_list("guest_name", flat=True)) == [
        "Anne Roux",
        "Paul Roux",
        "",
        "",
        "Léa Martin",
    ]
    fits(page)
    screenshot(page, "desk-group-2-rooming-list", viewport)
