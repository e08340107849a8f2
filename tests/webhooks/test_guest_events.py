"""The guest events: guests belong to the organisation, so a guest created, merged or erased is
sent to the subscribers of every property of it (each delivery naming its own property), to
no one else; the erasure's event carries no personal data, and the delivery log forgets what
the erasure removed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from standardwebhooks import Webhook

from crm.services.gdpr import guest_erase
from crm.services.guests import guest_create
from crm.services.merge import guests_merge
from tests.crm.test_gdpr import _tables_holding
from tests.factories.core import PropertyFactory
from tests.pms.booking.test_booking_engine import GUEST, stay
from tests.webhooks.receiver import running_receiver
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_emit_organization, webhook_subscription_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_eager")]


@pytest.fixture(autouse=True)
def private_targets(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def sister(hotel):
    """A second hotel of the same organisation: it shares the guests."""
    return PropertyFactory(organization=hotel.organization, name="Hôtel Sœur", slug="soeur")


def _events(receiver, subscriptions) -> list[tuple[str, str, dict]]:
    """(path, type, payload) of every request, each verified with its subscription's secret."""
    secrets = {s.url.split("?")[1]: s.secret for s in subscriptions}
    out = []
    for request in receiver.received:
        tag = request.path.split("?")[1]
        payload = Webhook(secrets[tag]).verify(request.body, request.headers)
        out.append((tag, payload["type"], payload))
    return sorted(out, key=lambda e: (e[0], e[1]))


def test_a_booking_engine_guest_reaches_every_property_of_the_organisation(
    client, hotel, sister, other_hotel, rooms, room_type, day
):
    with running_receiver() as receiver:
        subscriptions = [
            webhook_subscription_create(
                property=hotel, url=f"{receiver.url}?hotel", events=["guest.created"]
            ),
            webhook_subscription_create(
                property=sister, url=f"{receiver.url}?sister", events=["guest.created"]
            ),
            # same organisation, another event: not told
            webhook_subscription_create(
                property=sister, url=f"{receiver.url}?orders", events=["order.paid"]
            ),
            # another organisation: never hears of this hotel's guests
            webhook_subscription_create(
                property=other_hotel, url=f"{receiver.url}?other", events=["guest.created"]
            ),
        ]
        # when a guest books on the booking engine of one hotel
        held = client.post(
            f"/book/{hotel.slug}/details/", {**stay(day, room_type("classique")), **GUEST}
        )
        assert held.status_code == 302
        events = _events(receiver, subscriptions)

    # then both hotels of the organisation are told, each under its own slug
    assert [(tag, kind, p["property"]) for tag, kind, p in events] == [
        ("hotel", "guest.created", hotel.slug),
        ("sister", "guest.created", sister.slug),
    ]
    data = events[0][2]["data"]
    assert events[1][2]["data"] == data and events[0][2]["version"] == 1
    assert (data["first_name"], data["last_name"], data["email"]) == (
        "Léa",
        "Dupont",
        "lea.dupont@exemple.fr",
    )
    # the reservation names the same profile; nothing about health or notes is sent
    from pms.models import Reservation

    assert data["id"] == str(Reservation.objects.get().guest.public_id)
    assert not {"notes", "diet", "allergies"} & set(data)


def test_a_merge_and_an_erasure_are_sent_and_the_erasure_carries_no_personal_data(
    hotel, sister, manager
):
    name, email = "Qwertzbaum", "q.baum@example.org"
    with running_receiver() as receiver:
        subscriptions = [
            webhook_subscription_create(
                property=hotel,
                url=f"{receiver.url}?hotel",
                events=["guest.created", "guest.merged", "guest.erased"],
            ),
            webhook_subscription_create(
                property=sister, url=f"{receiver.url}?sister", events=["guest.erased"]
            ),
        ]
        keep = guest_create(organization=hotel.organization, last_name=name, email=email)
        duplicate = guest_create(organization=hotel.organization, last_name=name, phone="0611")
        guests_merge(keep=keep, duplicate=duplicate, actor=manager)
        guest_erase(guest=keep, actor=manager)
        events = _events(receiver, subscriptions)

    kinds = [(tag, kind) for tag, kind, _p in events]
    assert kinds == [
        ("hotel", "guest.created"),
        ("hotel", "guest.created"),
        ("hotel", "guest.erased"),
        ("hotel", "guest.erased"),
        ("hotel", "guest.merged"),
        ("sister", "guest.erased"),
        ("sister", "guest.erased"),
    ]
    merged = next(p["data"] for _t, kind, p in events if kind == "guest.merged")
    assert (merged["id"], merged["merged_id"]) == (str(keep.public_id), str(duplicate.public_id))
    # the erasure names the profile kept and the one merged into it, by id and time only
    erased = [p for tag, kind, p in events if kind == "guest.erased" and tag == "hotel"]
    assert {e["data"]["id"] for e in erased} == {str(keep.public_id), str(duplicate.public_id)}
    for e in erased:
        assert set(e["data"]) == {"id", "erased_at"}
        assert name not in str(e) and email not in str(e)
    # and the delivery log no longer holds the name the profile was created with
    assert WebhookDelivery.objects.filter(event="guest.created").count() == 2
    assert _tables_holding(name, email) == set()


@pytest.mark.django_db  # in the test's transaction: nothing is sent
def test_a_guest_event_costs_the_same_statements_for_one_subscription_or_four(
    hotel, sister, other_hotel
):
    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            sent = webhook_emit_organization(
                organization_id=hotel.organization_id,
                event="guest.created",
                data=lambda: {"id": "x"},
            )
        assert sent == WebhookSubscription.objects.filter(property__in=[hotel, sister]).count()
        return len(queries)

    url = "https://hooks.example.com/"
    # nobody subscribed: one query to learn it, then none (the shared cache)
    cost()
    assert cost() == 0
    WebhookSubscription.objects.create(property=other_hotel, url=url, events=["guest.created"])
    assert cost() == 0  # another organisation's subscription is not this one's business
    WebhookSubscription.objects.create(property=hotel, url=url, events=["guest.created"])
    cost()  # the cache refilled
    one = cost()
    for prop in (hotel, sister, sister):
        WebhookSubscription.objects.create(property=prop, url=url, events=["guest.created"])
    cost()
    assert cost() == one == 3  # the properties, the deliveries, the outbox messages
