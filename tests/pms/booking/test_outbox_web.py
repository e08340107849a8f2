"""The outbox publishes from the web processes: a booking made on a real gunicorn gets its
e-mail from a real worker at once, with no beat running (the web process does not import the
tasks modules; it publishes by task name)."""

import re

import pytest
from django.core import mail

from core.models import OutboxMessage
from pms.models import Reservation
from tests.pms.booking.test_booking_engine import GUEST, stay
from tests.server import wait_for
from tests.worker import running_worker


def _csrf(page: str) -> str:
    """The booking engine's form token (it takes no CSRF cookie: pms/views/booking_csrf.py)."""
    return re.search(r'name="booking_token" value="([^"]+)"', page).group(1)


@pytest.mark.django_db(transaction=True)
def test_a_booking_on_gunicorn_is_confirmed_by_the_worker_without_beat(
    gunicorn_server, hotel, rooms, room_type, day
):
    base = f"{gunicorn_server.url}/book/{hotel.slug}/"
    browser = gunicorn_server.session()
    with running_worker():
        # given a guest who books and pays on the web server
        page = browser.get(f"{base}details/", params=stay(day, room_type("classique")))
        assert page.status_code == 200, gunicorn_server.output()
        held = browser.post(
            f"{base}details/",
            data={
                **stay(day, room_type("classique")),
                **GUEST,
                "booking_token": _csrf(page.text),
            },
            allow_redirects=False,
        )
        assert held.status_code == 302, held.text[:2000]
        pay_url = gunicorn_server.url + held.headers["Location"].split("?")[0]
        form = browser.get(pay_url)
        paid = browser.post(
            pay_url,
            data={"provider": "bank_transfer", "booking_token": _csrf(form.text)},
            allow_redirects=False,
        )
        assert paid.status_code == 302, paid.text[:2000]

        # then the worker sends the confirmation within seconds, beat is not running
        message = OutboxMessage.objects.get(task="pms.tasks.booking_emails_task")
        wait_for(
            lambda: OutboxMessage.objects.get(pk=message.pk).status == "done",
            timeout=20,
            what=f"the e-mail task ({OutboxMessage.objects.get(pk=message.pk).last_error!r})",
        )
    message.refresh_from_db()
    assert message.last_error == "" and message.dispatched_at is not None
    reservation = Reservation.objects.get(channel="booking_engine")
    to_guest = [m for m in mail.outbox if m.to == [GUEST["email"]]]
    assert len(to_guest) == 1 and len(mail.outbox) == 2  # the guest's and the property's
    assert reservation.reference in to_guest[0].subject + to_guest[0].body
