"""Issue 21: the manager sets the check-in and check-out hours and the invoice footer on
/manage/property/; guests read the hours in the booking engine, the confirmation e-mail and
the pre-arrival page, and the footer is printed on the invoices issued from then on."""

import io
from datetime import time
from decimal import Decimal as D

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoice_documents import invoice_pdf_render
from billing.services.invoices import invoice_issue
from core.models import AuditEntry, OutboxMessage, Property, Role
from pms.services.booking import booking_confirm, booking_hold
from pms.services.guest_emails import guest_email_render, guest_page_url
from pms.services.policies import arrival_moment
from pms.tasks import booking_emails_task
from tests.core.test_property_settings import settings_of
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db
FOOTER = (
    "SARL au capital de 10 000 € · RCS Annecy 732 829 320\nIBAN FR76 3000 6000 0112 3456 7890 189"
)


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_manager_sets_the_hours_and_the_footer_and_it_is_audited(client, boss, hotel):
    page = client.get(reverse("manage:property")).content.decode()
    assert 'name="check_in_time"' in page and 'value="15:00"' in page
    assert 'name="invoice_footer"' in page

    data = settings_of(hotel, check_in_time="14:30", check_out_time="10:00", invoice_footer=FOOTER)
    assert client.post(reverse("manage:property"), data).status_code == 302
    hotel.refresh_from_db()
    assert (hotel.check_in_time, hotel.check_out_time) == (time(14, 30), time(10, 0))
    assert "RCS Annecy 732 829 320" in hotel.invoice_footer and "IBAN" in hotel.invoice_footer
    entry = AuditEntry.objects.get(action="core.property.changed")
    assert entry.data["before"]["check_in_time"] == "15:00:00"
    assert entry.data["after"]["check_in_time"] == "14:30:00"
    assert "invoice_footer" in entry.data["after"]


@pytest.mark.parametrize(
    "change",
    [
        {"check_in_time": "25:00"},
        {"check_out_time": ""},
        {"invoice_footer": "x" * 1001},
    ],
)
def test_a_bad_hour_or_a_too_long_footer_is_refused_and_nothing_saved(client, boss, hotel, change):
    client.cookies["django_language"] = "fr"
    before = Property.objects.values().get(pk=hotel.pk)
    response = client.post(reverse("manage:property"), settings_of(hotel, **change))
    assert response.status_code == 422
    assert 'data-testid="form-error"' in response.content.decode()
    assert Property.objects.values().get(pk=hotel.pk) == before
    assert not AuditEntry.objects.filter(action__startswith="core.property").exists()


@pytest.fixture
def hours(hotel):
    hotel.check_in_time, hotel.check_out_time = time(16, 0), time(10, 30)
    hotel.save()
    return hotel


def test_the_guest_reads_the_hours_in_the_booking_engine_and_the_pre_arrival_page(
    client, hours, rooms, day
):
    query = {
        "arrival": day(3).isoformat(),
        "departure": day(5).isoformat(),
        "adults": 2,
        "children": 0,
        "lang": "fr",
    }
    search = client.get(f"/book/{hours.slug}/", query).content.decode()
    assert "Arrivée à partir de 16:00, départ avant 10:30." in search
    details = client.get(
        f"/book/{hours.slug}/details/", {**query, "room_type": rooms["classique"].pk}
    ).content.decode()
    assert "Arrivée à partir de 16:00" in details

    reservation = booking_hold(
        property=hours,
        room_type_id=rooms["classique"].pk,
        arrival=day(3),
        departure=day(5),
        adults=2,
        children=0,
        first_name="Léa",
        last_name="Dupont",
        email="lea@example.fr",
        language="fr",
    )
    booking_confirm(reservation=reservation, provider_code="at_property")
    page = client.get(guest_page_url(reservation) + "?lang=fr").content.decode()
    assert 'data-testid="stay-hours"' in page and "départ avant 10:30" in page
    _subject, body = guest_email_render(reservation=reservation, kind="pre_arrival", language="en")
    assert "Check-in from 16:00, check-out by 10:30." in body
    # a "free until N days before arrival" deadline counts from the check-in hour
    assert arrival_moment(reservation).astimezone(hours.tz).time() == time(16, 0)


def test_the_confirmation_email_gives_the_hours(hours, rooms, day):
    reservation = booking_hold(
        property=hours,
        room_type_id=rooms["classique"].pk,
        arrival=day(5),
        departure=day(7),
        adults=2,
        children=0,
        first_name="Léa",
        last_name="Dupont",
        email="lea@example.fr",
        language="fr",
    )
    booking_confirm(reservation=reservation, provider_code="bank_transfer")
    message = OutboxMessage.objects.get(task=booking_emails_task.name)
    booking_emails_task(**message.kwargs, outbox_id=message.pk)
    (to_guest,) = [m for m in mail.outbox if m.to == ["lea@example.fr"]]
    assert "Arrivée à partir de 16:00, départ avant 10:30." in to_guest.body


def test_the_footer_is_printed_on_invoices_issued_from_then_on(hotel, manager):
    folio = folio_open(property=hotel, holder_name="Jeanne Dupont")
    charge = ChargeInput("Chambre", D(1), D(100), D(100), D(10), "room", source="n1")
    folio_post_charges(folio=folio, charges=[charge])
    before = invoice_issue(folio=folio, actor=manager)

    hotel.invoice_footer = FOOTER
    hotel.save()
    spa = ChargeInput("Spa", D(1), D(50), D(50), D(20), "spa", source="s")
    folio_post_charges(folio=folio, charges=[spa])
    after = invoice_issue(folio=folio, actor=manager)

    text = pdf_text(invoice_pdf_render(invoice=after, language="fr"))
    assert "RCS Annecy 732 829 320" in text and "IBAN FR76" in text
    # an invoice already issued keeps the footer it was issued with (none)
    assert "RCS Annecy" not in pdf_text(invoice_pdf_render(invoice=before, language="fr"))
