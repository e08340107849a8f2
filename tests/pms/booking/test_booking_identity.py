"""A booking made with a known guest's e-mail carries the identity the booker typed: it never
takes the other guest's profile (name, folio, invoice); the desk sees the shared e-mail as a
suggestion."""

from decimal import Decimal

import pytest

from billing.services.folios import ChargeInput, folio_post_charges
from billing.services.invoices import invoice_issue
from core.models import Role
from crm.models import Guest
from crm.services import guest_create
from pms.models import Reservation
from tests.factories.core import make_staff
from tests.pms.booking.test_booking_engine import GUEST, stay

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def known(hotel):
    return guest_create(
        organization=hotel.organization,
        first_name="Camille",
        last_name="Martin",
        email="camille.martin@exemple.fr",
        phone="0611111111",
    )


def test_an_anonymous_booking_with_a_known_email_keeps_the_typed_name(
    client, hotel, rooms, room_type, day, known
):
    # when someone books online as "Zed Probe" with Camille Martin's e-mail
    response = client.post(
        f"/book/{hotel.slug}/details/",
        {
            **stay(day, room_type("classique")),
            **GUEST,
            "first_name": "Zed",
            "last_name": "Probe",
            "email": "Camille.Martin@exemple.fr",
            "phone": "0699999999",
        },
    )
    assert response.status_code == 302

    # then the reservation and its folio are Zed Probe's, on a profile of their own
    reservation = Reservation.objects.select_related("guest", "folio").get()
    assert (reservation.guest.first_name, reservation.guest.last_name) == ("Zed", "Probe")
    assert reservation.guest_id != known.pk
    assert reservation.folio.holder_name == "Zed Probe"
    # Camille Martin's profile is untouched
    known.refresh_from_db()
    assert (known.first_name, known.last_name, known.phone) == ("Camille", "Martin", "0611111111")

    # and the desk sees the booking as Zed Probe's, with the shared e-mail as a suggestion
    client.force_login(make_staff(hotel, Role.FRONT_DESK, username="desk"))
    page = client.get(f"/frontdesk/reservations/{reservation.reference}/").content.decode()
    assert f"{reservation.reference} · Zed Probe" in page
    assert 'data-testid="same-email"' in page and "Camille Martin" in page


def test_three_api_bookings_with_one_email_are_invoiced_under_three_names(
    client, hotel, rooms, day, known
):
    client.force_login(make_staff(hotel, Role.FRONT_DESK, username="desk"))
    names = [("Anne", "Arnaud"), ("Bruno", "Bel"), ("Chloé", "Cassin")]
    for first, last in names:
        response = client.post(
            f"/api/v1/properties/{hotel.slug}/reservations",
            {
                "guest": {"first_name": first, "last_name": last, "email": known.email},
                "arrival": str(day(5)),
                "departure": str(day(6)),
                "rooms": [{"room_type": "classique"}],
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["guest"]["last_name"] == last

    buyers = []
    for reservation in Reservation.objects.select_related("folio").order_by("pk"):
        folio_post_charges(
            folio=reservation.folio,
            charges=[ChargeInput("Chambre", D("1"), D("90"), D("90"), D("10"), "accommodation")],
        )
        buyers.append(invoice_issue(folio=reservation.folio, actor=None).buyer["name"])
    assert buyers == ["Anne Arnaud", "Bruno Bel", "Chloé Cassin"]
    assert Guest.objects.filter(email=known.email).count() == 4  # Camille's and three more
