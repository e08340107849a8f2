"""The booking engine's e-mails survive a broker that is down at commit time (transactional
outbox): the booking stands, the guest sees the confirmation, and once the broker is back the
beat sweep sends each e-mail exactly once (locmem is the SMTP edge)."""

import time

import pytest
from django.conf import settings
from django.core import mail

from core.models import OutboxMessage
from core.outbox import outbox_dispatch_pending, outbox_publish
from core.tasks import outbox_dispatch_task
from pms.models import Reservation
from pms.tasks import booking_emails_task
from tests.pms.booking.test_booking_engine import GUEST, stay
from tests.worker import broker_down, running_worker


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not get there in time")


def test_the_outbox_sweep_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["core-outbox-dispatch"]
    assert entry["task"] == outbox_dispatch_task.name


@pytest.mark.django_db(transaction=True)
def test_a_booking_made_while_the_broker_is_down_gets_its_emails_once_it_is_back(
    client, hotel, rooms, room_type, day
):
    classique = room_type("classique")
    base = f"/book/{hotel.slug}/"

    # given the broker is down while the guest books and pays
    with broker_down():
        held = client.post(f"{base}details/", {**stay(day, classique), **GUEST})
        assert held.status_code == 302
        paid = client.post(held.url.split("?")[0], {"provider": "bank_transfer"})

        # then the booking stands and the guest sees the confirmation, no error
        assert paid.status_code == 302
        done = client.get(paid.url)
        assert done.status_code == 200
    reservation = Reservation.objects.get(channel="booking_engine")
    assert reservation.status == "confirmed"
    assert reservation.reference in done.content.decode()
    assert mail.outbox == []
    message = OutboxMessage.objects.get(task=booking_emails_task.name)
    assert message.status == "pending" and message.dispatched_at is None
    assert message.last_error.startswith("publish:")

    # when the broker is back, beat's sweep runs on a real worker
    with running_worker():
        outbox_dispatch_task.delay()
        _wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).status == "done")

        # then the guest and the property got their e-mail, once
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            ["lea.dupont@exemple.fr", hotel.email or settings.DEFAULT_FROM_EMAIL]
        )
        assert reservation.reference in mail.outbox[0].body

        # a duplicate delivery and later sweeps send nothing more
        booking_emails_task.apply_async(kwargs={**message.kwargs, "outbox_id": message.pk})
        assert outbox_dispatch_pending() == 0
        assert outbox_publish(message_id=message.pk) is False
        time.sleep(1.5)
    assert len(mail.outbox) == 2
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("done", 1)
