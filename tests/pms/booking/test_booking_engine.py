"""BE-1..4: the public booking engine, through its views."""

import time
from contextlib import contextmanager
from types import SimpleNamespace
from unittest.mock import patch

import pytest
from django.core import mail
from django.utils import timezone

from core.models import OutboxMessage
from inventory.models import CapacityAllocation, Product
from pms.models import Reservation
from pms.services import RoomRequest, reservation_create
from pms.services import booking as booking_services
from pms.tasks import booking_emails_task

pytestmark = pytest.mark.django_db


def stay(day, room_type=None, a=3, d=5, adults=2):
    q = {
        "arrival": day(a).isoformat(),
        "departure": day(d).isoformat(),
        "adults": adults,
        "children": 0,
        "lang": "en",
    }
    if room_type is not None:
        q["room_type"] = room_type.pk
    return q


GUEST = {
    "first_name": "Léa",
    "last_name": "Dupont",
    "email": "lea.dupont@exemple.fr",
    "phone": "0600000000",
    "accept": "on",
}


def test_a_full_booking_with_an_extra(
    client, hotel, rooms, room_type, day, django_capture_on_commit_callbacks
):
    classique = room_type("classique")
    breakfast = Product.objects.get(property=hotel, code="petit-dejeuner")
    base = f"/book/{hotel.slug}/"

    # search: the room types with their price for the stay
    page = client.get(base, stay(day))
    assert page.status_code == 200
    offers = {o.room_type.code: o for o in page.context["offers"]}
    assert "classique" in offers and offers["classique"].total > 0
    assert 'data-testid="offer-classique"' in page.content.decode()

    # details: extras and guest -> a held option
    details = client.get(f"{base}details/", stay(day, classique))
    assert details.status_code == 200
    assert breakfast in details.context["products"]
    response = client.post(
        f"{base}details/", {**stay(day, classique), **GUEST, f"extra_{breakfast.pk}": "2"}
    )
    assert response.status_code == 302
    reservation = Reservation.objects.get(property=hotel, channel="booking_engine")
    assert reservation.status == "option" and reservation.option_expires_at > timezone.now()
    extra = reservation.extras.get()
    assert (extra.product, extra.quantity, extra.day) == (breakfast, 2, day(3))
    assert reservation.total_price == offers["classique"].total + extra.total
    assert set(
        CapacityAllocation.objects.filter(reference__startswith="pms.").values_list(
            "status", flat=True
        )
    ) == {"held"}

    # payment: pay at the property -> confirmed, e-mails enqueued after commit
    with emails_enqueued(django_capture_on_commit_callbacks):
        response = client.post(response.url.split("?")[0], {"provider": "at_property"})
    assert response.status_code == 302
    reservation.refresh_from_db()
    assert reservation.status == "confirmed" and reservation.option_expires_at is None
    assert set(
        CapacityAllocation.objects.filter(reference__startswith="pms.").values_list(
            "status", flat=True
        )
    ) == {"confirmed"}
    assert [m.to for m in mail.outbox][0] == ["lea.dupont@exemple.fr"]
    assert len(mail.outbox) == 2
    assert reservation.reference in mail.outbox[0].body

    done = client.get(response.url)
    assert done.status_code == 200
    assert reservation.reference in done.content.decode()


@contextmanager
def emails_enqueued(capture):
    """Assert the e-mail task is recorded in the outbox and published only after commit, then
    run it here as the worker would (the SMTP edge is Django's locmem backend)."""
    with capture() as callbacks:
        yield
    assert not mail.outbox  # nothing leaves before commit
    message = OutboxMessage.objects.get(task=booking_emails_task.name, status="pending")
    assert callbacks  # the publication waits for the commit
    booking_emails_task(**message.kwargs, outbox_id=message.pk)
    booking_emails_task(**message.kwargs, outbox_id=message.pk)  # a redelivery sends nothing
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("done", 1)


def test_the_last_unit_sold_at_the_desk_meanwhile_is_no_longer_available(
    client, hotel, rooms, room_type, day, guest
):
    familiale = room_type("familiale")

    def desk_sale():
        return reservation_create(
            property=hotel,
            guest=guest,
            arrival=day(3),
            departure=day(5),
            rooms=[RoomRequest(familiale.pk, 2, 0)],
            channel="front_desk",
        )

    def online_free():
        offers = booking_services.booking_offers(
            property=hotel, arrival=day(3), departure=day(5), adults=2
        )
        return next((o.available for o in offers if o.room_type == familiale), 0)

    while online_free() > 1:
        desk_sale()
    # the guest sees the last unit and opens the details page
    assert client.get(f"/book/{hotel.slug}/details/", stay(day, familiale)).status_code == 200
    # the desk sells it meanwhile (the desk may use the units held back from online too)
    while online_free() > 0:
        desk_sale()
    before = Reservation.objects.count()

    response = client.post(f"/book/{hotel.slug}/details/", {**stay(day, familiale), **GUEST})

    assert response.status_code == 409
    assert "no longer available" in response.content.decode()
    assert Reservation.objects.count() == before
    assert not Reservation.objects.filter(channel="booking_engine").exists()


def test_an_expired_hold_cannot_be_confirmed(client, hotel, rooms, room_type, day):
    classique = room_type("classique")
    client.post(f"/book/{hotel.slug}/details/", {**stay(day, classique), **GUEST})
    reservation = Reservation.objects.get(channel="booking_engine")
    Reservation.objects.filter(pk=reservation.pk).update(
        option_expires_at=timezone.now() - timezone.timedelta(minutes=1)
    )

    response = client.post(
        f"/book/{hotel.slug}/pay/{reservation.public_id}/", {"provider": "bank_transfer"}
    )

    assert response.status_code == 200
    assert "no longer available" in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == "cancelled"
    assert not mail.outbox


def test_invalid_details_book_nothing(client, hotel, rooms, room_type, day):
    classique = room_type("classique")
    response = client.post(
        f"/book/{hotel.slug}/details/",
        {**stay(day, classique), **GUEST, "email": "not-an-email", "accept": ""},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"email", "accept"}
    assert not Reservation.objects.exists()

    past = client.get(f"/book/{hotel.slug}/", stay(day, a=-2, d=1))
    assert past.context["offers"] is None and past.context["form"].errors
    assert client.get("/book/no-such-hotel/").status_code == 404


def test_bank_transfer_gives_deposit_instructions(
    client, hotel, rooms, room_type, day, django_capture_on_commit_callbacks
):
    classique = room_type("classique")
    client.post(f"/book/{hotel.slug}/details/", {**stay(day, classique), **GUEST})
    reservation = Reservation.objects.get(channel="booking_engine")
    with emails_enqueued(django_capture_on_commit_callbacks):
        response = client.post(
            f"/book/{hotel.slug}/pay/{reservation.public_id}/", {"provider": "bank_transfer"}
        )
    done = client.get(response.url)
    assert reservation.reference in done.context["instructions"]
    assert "deposit" in mail.outbox[0].body


def test_french_pages_and_embedding(client, hotel, rooms, day):
    page = client.get(f"/book/{hotel.slug}/", {"lang": "fr"})
    assert '<html lang="fr">' in page.content.decode()
    assert "X-Frame-Options" not in page.headers  # embeddable in an iframe


def test_search_posts_are_rate_limited(client, hotel, rooms, day):
    # the limiter counts per fixed one-minute window: hold its clock inside one window, or
    # a slow machine's 31 posts can straddle two and the 31st starts a fresh count
    frozen = SimpleNamespace(time=lambda now=time.time(): now)
    with patch("django_ratelimit.core.time", frozen):
        for _ in range(30):
            assert client.post(f"/book/{hotel.slug}/", stay(day)).status_code == 200
        assert client.post(f"/book/{hotel.slug}/", stay(day)).status_code == 429


def test_the_offers_box_is_unticked_and_a_yes_is_kept_with_its_wording(
    client, hotel, rooms, room_type, day
):
    from crm.models import Consent

    classique = room_type("classique")
    base = f"/book/{hotel.slug}/"
    page = client.get(f"{base}details/", stay(day, classique)).content.decode()
    assert 'name="marketing"' in page and 'name="marketing" checked' not in page
    client.post(f"{base}details/", {**stay(day, classique), **GUEST})
    first = Reservation.objects.get(property=hotel)
    assert not first.guest.marketing_opt_in and not Consent.objects.exists()
    client.post(f"{base}details/", {**stay(day, classique, a=6, d=7), **GUEST, "marketing": "on"})
    second = Reservation.objects.exclude(pk=first.pk).get()
    consent = Consent.objects.get()
    assert second.guest.marketing_opt_in and consent.guest_id == second.guest_id
    assert (consent.source, consent.given) == ("booking_engine", True)
    assert "unsubscribe at any time" in consent.wording  # the English page's words
