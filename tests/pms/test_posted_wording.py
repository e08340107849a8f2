"""A folio line is worded once, when it is posted, in the PROPERTY's language: the night
audit's worker runs in English, the desk clerk may use English, yet a French hotel's folio and
invoice say "nuit du", "Frais de non-présentation", "Surclassement en"."""

from datetime import timedelta

import pytest
from django.utils import translation

from billing.models import FolioLine
from inventory.models import Channel, RatePlan
from pms.models import Room
from pms.services.reservations import RoomRequest, reservation_create
from pms.services.stays import reservation_check_in
from pms.services.upgrades import room_upgrade
from pms.tasks import room_nights_post_task

pytestmark = pytest.mark.django_db


def in_house_since_yesterday(hotel, guest, rooms, room):
    today = hotel.business_date()
    res = reservation_create(
        property=hotel,
        guest=guest,
        arrival=today - timedelta(days=1),
        departure=today + timedelta(days=2),
        rooms=[RoomRequest(rooms["classique"].pk, 2, 0)],
        channel=Channel.OTA,  # an OTA booking may start in the past
    )
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room("101").pk})
    return res


def descriptions(res, prefix):
    return list(
        FolioLine.objects.filter(folio=res.folio, source__startswith=prefix).values_list(
            "description", flat=True
        )
    )


def no_show_yesterday(hotel, guest, rooms):
    plan = RatePlan.objects.get(property=hotel, code="public")
    plan.cancel_free_days = 1
    plan.cancel_fee_nights = 1
    plan.save()
    yesterday = hotel.business_date() - timedelta(days=1)
    return reservation_create(
        property=hotel,
        guest=guest,
        arrival=yesterday,
        departure=yesterday + timedelta(days=2),
        rooms=[RoomRequest(rooms["classique"].pk, 2, 0)],
        channel=Channel.OTA,
    )


def test_a_french_propertys_night_audit_posts_french_lines(hotel, guest, rooms, room):
    assert hotel.default_language == "fr"
    stay = in_house_since_yesterday(hotel, guest, rooms, room)
    missed = no_show_yesterday(hotel, guest, rooms)
    night = hotel.business_date() - timedelta(days=1)
    with translation.override("en"):  # the worker's language
        room_nights_post_task()
    assert descriptions(stay, "pms.night:") == [f"Chambre Classique, nuit du {night:%d/%m/%Y}"]
    assert descriptions(missed, "pms.no_show_fee:") == [
        f"Frais de non-présentation {missed.reference}"
    ]


def test_an_english_propertys_lines_stay_english_under_a_french_worker(hotel, guest, rooms, room):
    hotel.default_language = "en"
    hotel.save()
    stay = in_house_since_yesterday(hotel, guest, rooms, room)
    night = hotel.business_date() - timedelta(days=1)
    with translation.override("fr"):
        room_nights_post_task()
    assert descriptions(stay, "pms.night:") == [f"Classic Room, night of {night:%d/%m/%Y}"]


def test_a_paid_upgrade_is_worded_in_the_propertys_language(hotel, guest, rooms, room):
    stay = in_house_since_yesterday(hotel, guest, rooms, room)
    superior = Room.objects.filter(property=hotel, room_type=rooms["superieure"]).order_by(
        "number"
    )[0]
    with translation.override("en"):  # a clerk whose screen is in English
        room_upgrade(reservation_room=stay.rooms.get(), room=superior, paid=True)
    assert descriptions(stay, "pms.upgrade:") == ["Surclassement en Chambre Supérieure"]
