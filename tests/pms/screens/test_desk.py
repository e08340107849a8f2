"""The reservation desk's screens (issue 19) as a receptionist uses them: the search, a phone
booking from the offers (the quote's price, the plan's terms), a likely duplicate suggested, a
change priced before it is saved, a cancellation with its fee or a manager's PIN waiver, a
no-show by hand, a group's rooming list. Bad input changes nothing and says why in the
user's language; another property's reservation is a 404."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from billing.models import FolioLine
from core.models import Role
from crm.models import Guest
from inventory.models import Channel, RatePlan
from pms.models import Reservation
from pms.services.reservations import RoomRequest, reservation_create
from pms.services.rooms import room_assign
from pms.services.stays import DepartureBalance, reservation_check_in, reservation_check_out
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def late_fee(hotel, catalog):
    plan = RatePlan.objects.get(property=hotel, code="public")
    plan.cancel_free_days, plan.cancel_fee_nights = 2, 1
    plan.save()
    return plan


def url(res, action=""):
    return f"/frontdesk/reservations/{res.reference}/{action}"


def booked(hotel, guest, rooms, *, offset=10, nights=2, count=1, group_name=""):
    arrival = hotel.business_date() + timedelta(days=offset)
    return reservation_create(
        property=hotel,
        guest=guest,
        arrival=arrival,
        departure=arrival + timedelta(days=nights),
        rooms=[RoomRequest(rooms["classique"].pk, 2, 0)] * count,
        channel=Channel.FRONT_DESK,
        group_name=group_name,
    )


def fee_total(res):
    return sum(
        (li.total for li in FolioLine.objects.filter(folio=res.folio, source__contains="_fee:")),
        Decimal("0"),
    )


def test_search_by_name_reference_email_phone_status_and_dates(desk, hotel, rooms, guest):
    guest.phone = "06 12 34 56 78"
    guest.save()
    res = booked(hotel, guest, rooms)
    other = booked(
        hotel,
        Guest.objects.create(organization=hotel.organization, last_name="Durand"),
        rooms,
        offset=20,
    )
    for q in (
        "mart",
        res.reference,
        "CAMILLE.MARTIN@exemple.fr",
        "+33612345678",
        "0612345678",
        "Camille Mar",
    ):
        page = desk.get("/frontdesk/reservations/", {"q": q}).content.decode()
        assert res.reference in page and other.reference not in page, q
    later = (hotel.business_date() + timedelta(days=15)).isoformat()
    page = desk.get("/frontdesk/reservations/", {"arrival_from": later}).content.decode()
    assert other.reference in page and res.reference not in page
    page = desk.get("/frontdesk/reservations/", {"status": "cancelled"}).content.decode()
    assert "No reservation matches." in page


def test_a_phone_booking_from_the_offers(desk, hotel, rooms, late_fee):
    arrival = hotel.business_date() + timedelta(days=7)
    query = {"arrival": arrival.isoformat(), "departure": (arrival + timedelta(days=2)).isoformat()}
    page = desk.get("/frontdesk/reservations/new/", query)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Free cancellation until 2 days before arrival, then a fee of 1 night." in text
    offer = f"{rooms['classique'].pk}:{late_fee.pk}"
    assert offer in text
    response = desk.post(
        "/frontdesk/reservations/new/",
        {
            **query,
            "adults": "2",
            "rooms": "1",
            "offer": offer,
            "last_name": "Téléphone",
            "first_name": "Paul",
            "phone": "0611223344",
            "key": "k-1",
            "notes": "late arrival",
        },
    )
    assert response.status_code == 302
    res = Reservation.objects.get(guest__last_name="Téléphone")
    assert (res.channel, res.notes, res.policy["cancel_fee_nights"]) == (
        "front_desk",
        "late arrival",
        1,
    )
    assert response["Location"] == url(res)
    page = desk.get(url(res)).content.decode()
    assert "then a fee of" in page and "Cancel" in page


def test_a_likely_duplicate_is_suggested_before_a_second_profile(desk, hotel, rooms, guest):
    arrival = hotel.business_date() + timedelta(days=7)
    public = RatePlan.objects.get(property=hotel, code="public")
    form = {
        "arrival": arrival.isoformat(),
        "departure": (arrival + timedelta(days=1)).isoformat(),
        "offer": f"{rooms['classique'].pk}:{public.pk}",
        "last_name": "Martin",
        "first_name": "Camille",
        "email": "camille.martin+desk@exemple.fr",
        "key": "dup",
    }
    page = desk.post("/frontdesk/reservations/new/", form)
    assert page.status_code == 200
    assert "These profiles look like the same person" in page.content.decode()
    assert not Reservation.objects.exists()
    # the desk picks the existing profile
    response = desk.post("/frontdesk/reservations/new/", {**form, "guest": guest.pk})
    assert response.status_code == 302
    assert Reservation.objects.get().guest == guest
    assert Guest.objects.filter(last_name="Martin").count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"departure_offset": -1}, "The departure must be after the arrival."),
        ({"adults": "5"}, "sleeps at most"),
    ],
)
def test_bad_booking_input_changes_nothing_and_says_why(desk, hotel, rooms, change, message):
    arrival = hotel.business_date() + timedelta(days=7)
    departure = arrival + timedelta(days=change.get("departure_offset", 2))
    response = desk.post(
        "/frontdesk/reservations/new/",
        {
            "arrival": arrival.isoformat(),
            "departure": departure.isoformat(),
            "adults": change.get("adults", "2"),
            "offer": f"{rooms['classique'].pk}:"
            f"{RatePlan.objects.get(property=hotel, code='public').pk}",
            "last_name": "Refus",
            "key": "bad",
            "confirm_new": "1",
        },
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Reservation.objects.exists() and not Guest.objects.filter(last_name="Refus").exists()


def test_bad_input_in_french(desk, hotel, rooms):
    desk.cookies["django_language"] = "fr"
    arrival = hotel.business_date() + timedelta(days=7)
    response = desk.post(
        "/frontdesk/reservations/new/",
        {
            "arrival": arrival.isoformat(),
            "departure": arrival.isoformat(),
            "offer": f"{rooms['classique'].pk}:1",
            "last_name": "Refus",
            "key": "fr",
            "confirm_new": "1",
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 422
    assert "Le départ doit être postérieur à l&#x27;arrivée." in response.content.decode()
    assert not Reservation.objects.exists()


def test_a_date_change_is_priced_before_it_is_saved(desk, hotel, rooms, guest):
    res = booked(hotel, guest, rooms, nights=2)
    before = res.total_price
    longer = {"departure": (res.departure + timedelta(days=1)).isoformat()}
    preview = desk.post(url(res, "change/"), longer)
    text = preview.content.decode()
    assert preview.status_code == 200 and 'data-testid="difference"' in text
    res.refresh_from_db()
    assert res.total_price == before  # nothing saved yet
    saved = desk.post(url(res, "change/"), {**longer, "confirm": "1", "quoted": quoted(text)})
    assert saved.status_code == 302
    res.refresh_from_db()
    assert res.nights == 3 and res.total_price > before


def quoted(page_text: str) -> str:
    """What the preview priced, as the save button sends it back."""
    return html.unescape(re.search(r'name="quoted" value="([^"]*)"', page_text).group(1))


def test_what_is_saved_is_what_was_priced(desk, hotel, rooms, guest):
    """The preview keeps the room type and guests chosen; a change edited after its price is
    priced again, not saved."""
    res = booked(hotel, guest, rooms, nights=2)
    rr = res.rooms.get()
    other = next(t for t in rooms.values() if t.pk != rr.room_type_id)
    change = {"departure": res.departure.isoformat(), f"type_{rr.pk}": str(other.pk)}
    preview = desk.post(url(res, "change/"), change).content.decode()
    assert f'<option value="{other.pk}" selected>' in preview
    # edited after the price (one more night): priced again, nothing saved
    edited = {**change, "departure": (res.departure + timedelta(days=1)).isoformat()}
    again = desk.post(url(res, "change/"), {**edited, "confirm": "1", "quoted": quoted(preview)})
    assert again.status_code == 200 and 'data-testid="repriced"' in again.content.decode()
    rr.refresh_from_db()
    assert rr.room_type_id != other.pk
    assert Reservation.objects.get(pk=res.pk).nights == 2
    saved = desk.post(
        url(res, "change/"), {**edited, "confirm": "1", "quoted": quoted(again.content.decode())}
    )
    assert saved.status_code == 302
    res = Reservation.objects.get(pk=res.pk)
    live = [r.room_type_id for r in res.rooms.all() if not r.is_cancelled]
    assert live == [other.pk] and res.nights == 3


def test_a_change_to_more_guests_than_the_room_holds_is_refused(desk, hotel, rooms, guest):
    res = booked(hotel, guest, rooms)
    rr = res.rooms.get()
    response = desk.post(url(res, "change/"), {f"adults_{rr.pk}": "6", "confirm": "1"})
    assert response.status_code == 422
    assert "sleeps at most" in response.content.decode()
    rr.refresh_from_db()
    assert rr.adults == 2


def test_a_room_already_assigned_is_refused(desk, hotel, rooms, guest, room):
    first = booked(hotel, guest, rooms, offset=0)
    second = booked(hotel, guest, rooms, offset=0)
    room_assign(reservation_room=first.rooms.get(), room=room("101"))
    response = desk.post(
        url(second, "check-in/"), {f"room_{second.rooms.get().pk}": room("101").pk}
    )
    assert response.status_code == 302
    page = desk.get(url(second)).content.decode()
    assert "Room 101 is already taken for these nights." in page
    second.refresh_from_db()
    assert second.status == Reservation.Status.CONFIRMED


def test_a_late_cancellation_posts_the_fee(desk, hotel, rooms, guest, late_fee):
    res = booked(hotel, guest, rooms, offset=1)
    page = desk.get(url(res, "cancel/")).content.decode()
    assert "Cancelling now costs" in page
    response = desk.post(url(res, "cancel/"), {"reason": "ill"})
    assert response.status_code == 302
    res.refresh_from_db()
    assert res.status == Reservation.Status.CANCELLED
    assert fee_total(res) == Decimal(sorted(res.rooms.get().nightly_prices.items())[0][1])


def test_a_cancellation_in_the_free_period_is_free(desk, hotel, rooms, guest, late_fee):
    res = booked(hotel, guest, rooms, offset=10)
    assert "Cancelling now is free." in desk.get(url(res, "cancel/")).content.decode()
    desk.post(url(res, "cancel/"), {})
    res.refresh_from_db()
    assert res.status == Reservation.Status.CANCELLED and fee_total(res) == 0


def test_a_waiver_needs_a_managers_pin(desk, hotel, rooms, guest, late_fee):
    boss = make_staff(hotel, Role.MANAGER, username="boss", pin="246810")
    res = booked(hotel, guest, rooms, offset=1)
    refused = desk.post(
        url(res, "cancel/"),
        {"waive": "1", "approver": boss.pk, "pin": "000000", "waiver_reason": "friend"},
    )
    assert refused.status_code == 422
    res.refresh_from_db()
    assert res.status == Reservation.Status.CONFIRMED and fee_total(res) == 0
    approved = desk.post(
        url(res, "cancel/"),
        {"waive": "1", "approver": boss.pk, "pin": "246810", "waiver_reason": "regular guest"},
    )
    assert approved.status_code == 302
    res.refresh_from_db()
    assert res.status == Reservation.Status.CANCELLED and fee_total(res) == 0


def test_a_waiver_by_a_receptionist_is_refused(desk, hotel, rooms, guest, late_fee, clerk):
    res = booked(hotel, guest, rooms, offset=1)
    response = desk.post(
        url(res, "cancel/"),
        {"waive": "1", "approver": clerk.pk, "pin": "123456", "waiver_reason": "x"},
    )
    assert response.status_code == 422
    assert "Choose the manager who approves." in response.content.decode()
    res.refresh_from_db()
    assert res.status == Reservation.Status.CONFIRMED


def test_a_checked_out_stay_cannot_be_cancelled(desk, hotel, rooms, guest, room):
    res = booked(hotel, guest, rooms, offset=0, nights=1)
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room("101").pk})
    reservation_check_out(
        reservation=res, open_balance=DepartureBalance(pay_method="card", pay_reference="T")
    )
    response = desk.post(url(res, "cancel/"), {})
    assert response.status_code == 422
    assert "Only a confirmed reservation or an option can be cancelled." in (
        response.content.decode()
    )
    res.refresh_from_db()
    assert res.status == Reservation.Status.CHECKED_OUT


def test_a_no_show_by_hand_posts_the_fee(desk, hotel, rooms, guest, late_fee):
    res = booked(hotel, guest, rooms, offset=0)
    page = desk.get(url(res)).content.decode()
    assert 'data-testid="no-show-confirm"' in page  # one more tap: it charges a fee
    # a single tap (no confirmation) changes nothing
    refused = desk.post(url(res, "no-show/"), follow=True)
    assert "Confirm the no-show" in refused.content.decode()
    res.refresh_from_db()
    assert res.status != Reservation.Status.NO_SHOW and fee_total(res) == 0
    assert desk.post(url(res, "no-show/"), {"confirm": "1"}).status_code == 302
    res.refresh_from_db()
    assert res.status == Reservation.Status.NO_SHOW and fee_total(res) > 0


def test_a_groups_rooming_list(desk, hotel, rooms, guest):
    res = booked(hotel, guest, rooms, count=3, group_name="Mariage Roux")
    ids = list(res.rooms.values_list("pk", flat=True))
    page = desk.get(url(res)).content.decode()
    assert "Mariage Roux" in page and 'data-testid="rooming-list-form"' in page
    desk.post(url(res, "rooming-list/"), {f"name_{ids[0]}": "Anne Roux", f"name_{ids[2]}": "Luc"})
    assert list(res.rooms.order_by("pk").values_list("guest_name", flat=True)) == [
        "Anne Roux",
        "",
        "Luc",
    ]
    assert res.folio is not None  # one master folio for the group


def test_another_propertys_reservation_is_a_404(client, hotel, other_hotel, rooms, guest):
    res = booked(hotel, guest, rooms)
    client.force_login(make_staff(other_hotel, Role.MANAGER))
    for action in ("", "change/", "cancel/"):
        assert client.get(url(res, action)).status_code == 404
    assert client.post(url(res, "cancel/")).status_code == 404
    res.refresh_from_db()
    assert res.status == Reservation.Status.CONFIRMED
    page = client.get("/frontdesk/reservations/", {"q": res.reference}).content.decode()
    assert "No reservation matches." in page


def test_a_waiter_has_no_desk(client, hotel, waiter):
    client.force_login(waiter)
    assert client.get("/frontdesk/reservations/new/").status_code in (302, 403)


def test_an_upgrade_offers_only_dearer_room_types(desk, hotel, rooms, guest, room):
    """ "Surclasser" lists rooms of the types whose nights cost more, never a cheaper one."""
    res = booked(hotel, guest, rooms, offset=0, nights=2)
    res.rooms.update(room_type=rooms["superieure"])
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room("201").pk})
    page = desk.get(url(res)).content.decode()
    select = page.split('data-testid="upgrade-room"')[1].split("</select>")[0]
    offered = set(re.findall(r"· ([^<]+)</option>", select))
    price = {str(t): t.product.price for t in rooms.values()}
    assert offered and str(rooms["classique"]) not in offered
    assert all(price[name] > rooms["superieure"].product.price for name in offered), offered
