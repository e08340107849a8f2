"""The night audit's report: what it posted (room nights, no-shows, tourist tax), the arrivals
not checked in, the departures not checked out and the open balances — on screen and e-mailed
once to the managers through the outbox."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from core.models import OutboxMessage, Role
from inventory.models import Channel
from pms.selectors import night_audit_report
from pms.services.reservations import RoomRequest, reservation_create, reservation_mark_no_show
from pms.services.rooms import room_assign
from pms.services.stays import reservation_check_in
from pms.tasks import room_nights_post_task
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


def stay(hotel, rooms, last_name, start, end):
    from crm.services import guest_create

    guest = guest_create(organization=hotel.organization, first_name="Jo", last_name=last_name)
    # OTA: the stay may already have begun (lets the test start in the past)
    return reservation_create(
        property=hotel,
        guest=guest,
        arrival=start,
        departure=end,
        rooms=[RoomRequest(rooms["classique"].pk, 2, 0)],
        channel=Channel.OTA,
    )


@pytest.fixture
def night(hotel, rooms):
    """Last night: one guest in house (posted by the audit), one expected arrival who never
    came (a no-show), one who is still expected, one departure today not checked out."""
    from pms.models import Room

    today = hotel.business_date()
    last = today - timedelta(days=1)
    in_house = stay(hotel, rooms, "Dedans", last, today + timedelta(days=2))
    leaving = stay(hotel, rooms, "Partant", last - timedelta(days=1), today)
    for res, number in ((in_house, "101"), (leaving, "102")):
        room_assign(reservation_room=res.rooms.get(), room=Room.objects.get(number=number))
        reservation_check_in(reservation=res, allow_past=True)
    absent = stay(hotel, rooms, "Absent", last, today + timedelta(days=1))
    reservation_mark_no_show(reservation=absent)
    expected = stay(hotel, rooms, "Attendu", last, today + timedelta(days=1))
    return {"in_house": in_house, "leaving": leaving, "absent": absent, "expected": expected}


def test_report_lists_what_was_posted_and_what_is_left(hotel, night, django_assert_max_num_queries):
    room_nights_post_task()
    last = hotel.business_date() - timedelta(days=1)
    with django_assert_max_num_queries(6):
        report = night_audit_report(property=hotel, business_date=last)
    assert report.room_nights == 2
    in_house_price = Decimal(night["in_house"].rooms.get().nightly_prices[last.isoformat()])
    leaving_price = Decimal(night["leaving"].rooms.get().nightly_prices[last.isoformat()])
    assert report.room_revenue == in_house_price + leaving_price
    # the audit marks who was due last night and never came as a no-show (issue 19)
    assert [r.reference for r in report.no_shows] == [
        night["absent"].reference,
        night["expected"].reference,
    ]
    assert [r.reference for r in report.arrivals_not_checked_in] == []
    assert [r.reference for r in report.departures_not_checked_out] == []
    # the guests in house owe what was posted
    balances = {b.reservation.reference: b.balance for b in report.open_balances}
    assert balances[night["in_house"].reference] == in_house_price
    today = hotel.business_date()
    report = night_audit_report(property=hotel, business_date=today)
    assert [r.reference for r in report.departures_not_checked_out] == [night["leaving"].reference]


def test_report_on_screen(client, hotel, night, clerk):
    room_nights_post_task()
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    page = client.get("/frontdesk/night-audit/").content.decode()
    assert 'data-testid="room-nights">2<' in page
    assert night["absent"].reference in page and night["expected"].reference in page
    assert "Open balances" in page
    bad = client.get("/frontdesk/night-audit/?day=yesterday")
    assert bad.status_code == 200 and "Enter a valid date." in bad.content.decode()


def test_report_is_emailed_once_to_the_managers(
    hotel, night, celery_eager, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    boss = make_staff(hotel, Role.MANAGER, username="boss")
    boss.email = "boss@example.fr"
    boss.save()
    make_staff(hotel, Role.FRONT_DESK, username="desk")  # not a manager: no e-mail
    with django_capture_on_commit_callbacks(execute=True):
        room_nights_post_task()
    with django_capture_on_commit_callbacks(execute=True):
        room_nights_post_task()  # a retried task: nothing sent twice
    assert OutboxMessage.objects.filter(task="pms.tasks.night_audit_report_email_task").count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["boss@example.fr"]
    assert "Audit de nuit" in message.subject or "Night audit" in message.subject
    assert night["absent"].reference in message.body
    assert night["expected"].reference in message.body
