"""availability.changed is coalesced: bookings between two runs of the beat make one message
for the property, listing the room type and the nights that changed as ranges; a run with
nothing new sends nothing. The beat task runs in-process against a receiver on 127.0.0.1."""

import pytest
from standardwebhooks import Webhook

from pms.tasks import availability_changed_task
from tests.pms.booking.test_booking_engine import GUEST, stay
from tests.webhooks.receiver import running_receiver
from webhooks.services import webhook_subscription_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_eager")]


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOKS_AVAILABILITY_SETTLE_SECONDS = 0


def test_two_bookings_between_two_runs_make_one_message_with_their_nights(
    client, hotel, other_hotel, rooms, room_type, day
):
    classique = room_type("classique")
    with running_receiver() as receiver:
        subscription = webhook_subscription_create(
            property=hotel, url=receiver.url, events=["availability.changed"]
        )
        # the first run only sets the mark: the past is not sent
        assert availability_changed_task.apply().get() == 0
        # when two guests book, nights 3–4 and 10–11
        for arrival, departure in ((3, 5), (10, 12)):
            held = client.post(
                f"/book/{hotel.slug}/details/",
                {**stay(day, classique, a=arrival, d=departure), **GUEST},
            )
            assert held.status_code == 302
        assert receiver.received == []  # not one message per sale
        # then the next run sends one message listing both ranges
        assert availability_changed_task.apply().get() == 1
        assert len(receiver.received) == 1
        payload = Webhook(subscription.secret).verify(
            receiver.received[0].body, receiver.received[0].headers
        )
        # and a run with nothing new sends nothing
        assert availability_changed_task.apply().get() == 0
        assert len(receiver.received) == 1

    assert (payload["type"], payload["version"], payload["property"]) == (
        "availability.changed",
        1,
        hotel.slug,
    )
    data = payload["data"]
    assert data["since"] < data["until"]
    pool = classique.product.capacity_pool
    assert data["changes"] == [
        {
            "pool": pool.code,
            "kind": "night",
            "products": [classique.product.code],
            "room_types": ["classique"],
            "first_day": day(a).isoformat(),
            "last_day": day(b).isoformat(),
        }
        for a, b in ((3, 4), (10, 11))
    ]
