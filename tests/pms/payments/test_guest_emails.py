"""PMS-7: guest e-mails in the guest's language, once each, worded by the property."""

import base64
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import Invoice
from billing.services.invoices import invoice_issue
from billing.tasks import invoice_email_task
from core.models import OutboxMessage, Role
from crm.services import guest_create
from pms.models import GuestEmail, GuestEmailTemplate, PoliceForm, Reservation
from pms.services import RoomRequest, reservation_check_in, reservation_check_out
from pms.services import reservation_create as create
from pms.services.booking import booking_confirm, booking_hold
from pms.services.guest_emails import (
    guest_page_reservation,
    guest_page_token,
    guest_page_url,
    pre_arrival_emails_enqueue,
)
from pms.services.stays import DepartureBalance
from pms.tasks import booking_emails_task, guest_email_task
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 40).decode()


def run_outbox(task) -> None:
    for message in OutboxMessage.objects.filter(task=task.name, status="pending"):
        task(**message.kwargs, outbox_id=message.pk)


def booked(
    hotel, rooms, day, *, language="en", email="ann.smith@example.com", arrival=3, channel="ota"
):
    guest = guest_create(
        organization=hotel.organization,
        first_name="Ann",
        last_name="Smith",
        email=email,
        language=language,
    )
    return create(
        property=hotel,
        guest=guest,
        arrival=day(arrival),
        departure=day(arrival + 2),
        rooms=[RoomRequest(rooms["classique"].pk, 2, 0)],
        channel=channel,  # OTA: the stay may already have begun
    )


def held(hotel, rooms, day, language):
    return booking_hold(
        property=hotel,
        room_type_id=rooms["classique"].pk,
        arrival=day(5),
        departure=day(7),
        adults=2,
        children=0,
        first_name="Léa",
        last_name="Dupont",
        email="lea@example.fr",
        language=language,
    )


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        ("fr", "Votre réservation {} à {}", "est confirmée"),
        ("en", "Your booking {} at {}", "is confirmed"),
    ],
)
def test_the_confirmation_is_in_the_guests_language_and_sent_once(
    hotel, rooms, day, language, subject, words
):
    reservation = held(hotel, rooms, day, language)
    booking_confirm(reservation=reservation, provider_code="bank_transfer")
    run_outbox(booking_emails_task)
    # a redelivered task and a second claim send nothing more
    message = OutboxMessage.objects.get(task=booking_emails_task.name)
    booking_emails_task(**message.kwargs, outbox_id=None)
    (to_guest,) = [m for m in mail.outbox if m.to == ["lea@example.fr"]]
    assert to_guest.subject == subject.format(reservation.reference, hotel.name)
    assert words in to_guest.body and reservation.reference in to_guest.body
    assert GuestEmail.objects.get(reservation=reservation, kind="confirmation").sent_at


def test_the_property_wording_is_used_for_the_confirmation(hotel, rooms, day):
    GuestEmailTemplate.objects.create(
        property=hotel,
        kind="confirmation",
        language="en",
        subject="Booked! {reference}",
        body="Dear {guest_name}, see you on {arrival}. {policy}",
    )
    reservation = held(hotel, rooms, day, "en")
    booking_confirm(reservation=reservation, provider_code="at_property")
    run_outbox(booking_emails_task)
    (to_guest,) = [m for m in mail.outbox if m.to == ["lea@example.fr"]]
    assert to_guest.subject == f"Booked! {reservation.reference}"
    assert to_guest.body.startswith("Dear Léa Dupont, see you on ")


def test_pre_arrival_goes_once_three_days_before_with_the_guest_page_link(
    client, hotel, rooms, day
):
    due = booked(hotel, rooms, day, arrival=3)
    booked(hotel, rooms, day, arrival=10)  # too early
    booked(hotel, rooms, day, arrival=2, email="")  # no address: nothing
    assert pre_arrival_emails_enqueue() == 1
    assert pre_arrival_emails_enqueue() == 0  # the beat runs again: nothing twice
    run_outbox(guest_email_task)
    run_outbox(guest_email_task)
    (message,) = mail.outbox
    assert message.to == ["ann.smith@example.com"]
    assert message.subject == f"See you soon at {hotel.name}"
    # the token is signed with a timestamp, so the link is matched up to it
    prefix = guest_page_url(due).rsplit("stay/", 1)[0] + "stay/"
    (link,) = re.findall(re.escape(prefix) + r"\S+/", message.body)
    assert guest_page_reservation(property=hotel, token=link.rstrip("/").rsplit("/", 1)[1]) == due

    # the guest's page: the arrival time, then the police form, signed online
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}", {"lang": "en"})
    assert page.status_code == 200 and due.reference in page.content.decode()
    saved = client.post(f"/{path}", {"action": "arrival", "arrival_time": "18:30", "lang": "en"})
    assert "we expect you at 18:30" in saved.content.decode()
    due.refresh_from_db()
    assert due.expected_arrival_time.strftime("%H:%M") == "18:30"
    form = {
        "action": "police_form",
        "last_name": "Smith",
        "first_name": "Ann",
        "birth_date": "1980-04-02",
        "birth_place": "Leeds",
        "nationality": "GB",
        "address": "1 High Street, Leeds",
        "children_under_15": "0",
        "signature": PNG,
        "lang": "en",
    }
    refused = client.post(f"/{path}", {**form, "signature": ""})
    assert refused.status_code == 422 and not PoliceForm.objects.exists()
    signed = client.post(f"/{path}", form)
    assert signed.status_code == 200
    police = PoliceForm.objects.get(reservation=due)
    assert (police.nationality, police.arrival) == ("GB", due.arrival)


def test_the_guest_page_refuses_a_forged_an_expired_or_a_cancelled_link(client, hotel, rooms, day):
    reservation = booked(hotel, rooms, day, arrival=3)
    token = guest_page_token(reservation)
    assert client.get(f"/book/{hotel.slug}/stay/{token}x/").status_code == 404
    assert client.get(f"/book/other/stay/{token}/").status_code == 404
    Reservation.objects.filter(pk=reservation.pk).update(
        arrival=day(-9), departure=day(-5)
    )  # the stay is over: the link has expired
    reservation.refresh_from_db()
    expired = client.get(f"/book/{hotel.slug}/stay/{guest_page_token(reservation)}/?lang=en")
    assert expired.status_code == 404 and "expired" in expired.content.decode()
    before = reservation.expected_arrival_time
    client.post(
        f"/book/{hotel.slug}/stay/{guest_page_token(reservation)}/",
        {"action": "arrival", "arrival_time": "10:00"},
    )
    reservation.refresh_from_db()
    assert reservation.expected_arrival_time == before


def test_thank_you_after_check_out_and_the_invoice_in_the_property_wording(hotel, rooms, day, room):
    reservation = booked(hotel, rooms, day, arrival=-1, language="fr")
    reservation = Reservation.objects.get(pk=reservation.pk)
    reservation_check_in(
        reservation=reservation, assignments={reservation.rooms.get().pk: room("101").pk}
    )
    GuestEmailTemplate.objects.create(
        property=hotel,
        kind="invoice",
        language="fr",
        subject="Facture {invoice_number} — {property}",
        body="Bonjour {first_name}, voici la facture {invoice_number}.",
    )
    by_card = DepartureBalance(pay_method="card", pay_reference="TPE-1")
    reservation_check_out(reservation=reservation, open_balance=by_card)
    reservation_check_out(reservation=reservation, open_balance=by_card)  # a double tap
    run_outbox(guest_email_task)
    (thanks,) = mail.outbox
    assert thanks.subject == f"Merci pour votre séjour à {hotel.name}"
    assert "Merci d'avoir séjourné chez nous" in thanks.body

    reservation.refresh_from_db()
    invoice = Invoice.objects.filter(folio=reservation.folio).first() or invoice_issue(
        folio=reservation.folio, actor=None
    )
    run_outbox(invoice_email_task)
    run_outbox(invoice_email_task)
    invoices = [m for m in mail.outbox if m.attachments]
    assert len(invoices) == 1
    assert invoices[0].subject == f"Facture {invoice.number} — {hotel.name}"
    assert invoices[0].body == f"Bonjour Ann, voici la facture {invoice.number}.\n"


# --- the manager's screen -----------------------------------------------------------------


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss")
    client.force_login(user)
    return client


EDIT = "/frontdesk/emails/confirmation/fr/"


def test_a_manager_edits_previews_and_resets_a_template(boss, hotel):
    listing = boss.get("/frontdesk/emails/")
    assert listing.status_code == 200
    assert 'data-testid="template-pre_arrival-en"' in listing.content.decode()
    preview = boss.post(
        EDIT,
        {"action": "preview", "subject": "Réservation {reference}", "body": "Bonjour {first_name}"},
    )
    assert preview.status_code == 200
    assert "Réservation R2026-000123" in preview.content.decode()
    assert not GuestEmailTemplate.objects.exists()  # a preview saves nothing
    saved = boss.post(
        EDIT,
        {"action": "save", "subject": "Réservation {reference}", "body": "Bonjour {first_name}"},
    )
    assert saved.status_code == 302
    row = GuestEmailTemplate.objects.get(property=hotel, kind="confirmation", language="fr")
    assert row.subject == "Réservation {reference}"
    boss.post(EDIT, {"action": "reset"})
    assert not GuestEmailTemplate.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Bonjour {prenom}", "Unknown placeholder {prenom}"),
        ("Bonjour {first_name", "A brace is not closed"),
        ("", "Write the message."),
    ],
)
def test_an_unknown_placeholder_is_a_clear_error_and_nothing_is_saved(boss, hotel, body, message):
    GuestEmailTemplate.objects.create(
        property=hotel, kind="confirmation", language="fr", subject="Avant", body="Avant"
    )
    response = boss.post(EDIT, {"action": "save", "subject": "Réservation", "body": body})
    assert response.status_code == 422
    assert message in response.content.decode()
    row = GuestEmailTemplate.objects.get()
    assert (row.subject, row.body) == ("Avant", "Avant")


def test_only_managers_of_the_property_edit_its_templates(client, hotel, other_hotel):
    client.force_login(make_staff(hotel, Role.FRONT_DESK, username="desk"))
    assert client.get("/frontdesk/emails/").status_code == 403
    assert client.post(EDIT, {"subject": "x", "body": "y"}).status_code == 403
    client.force_login(make_staff(other_hotel, Role.MANAGER, username="elsewhere"))
    client.post(EDIT, {"action": "save", "subject": "Ailleurs", "body": "Ailleurs"})
    assert not GuestEmailTemplate.objects.filter(property=hotel).exists()
    assert client.get("/frontdesk/emails/unknown/fr/").status_code == 404


def test_no_email_before_commit_and_none_without_an_address(hotel, rooms, day):
    reservation = booked(hotel, rooms, day, arrival=2, email="")
    assert pre_arrival_emails_enqueue(now=timezone.now() + timedelta(hours=1)) == 0
    assert not GuestEmail.objects.filter(reservation=reservation).exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("language", "line", "pay"),
    [
        ("fr", ", 2 nuits: ", "Vous réglez "),
        ("en", ", 2 nights: ", "You pay "),
    ],
)
def test_the_confirmation_lists_the_booking_then_how_to_pay_each_in_its_place(
    hotel, rooms, day, language, line, pay
):
    GuestEmailTemplate.objects.create(
        property=hotel,
        kind="confirmation",
        language=language,
        subject="{reference}",
        body="LINES\n{summary}\nPAY\n{payment}\nEND",
    )
    reservation = held(hotel, rooms, day, language)
    booking_confirm(reservation=reservation, provider_code="at_property")
    run_outbox(booking_emails_task)
    (to_guest,) = [m for m in mail.outbox if m.to == ["lea@example.fr"]]
    lines, rest = to_guest.body.split("PAY\n")
    name = getattr(rooms["classique"], f"name_{language}")
    assert f"- {name}{line}" in lines
    assert pay not in lines  # the payment sentence is not among the lines
    payment, _end = rest.split("END")
    assert payment.strip().startswith(pay) and "- " not in payment
    assert "€" in payment and "€" in lines


@pytest.mark.parametrize(
    ("language", "total", "pay"), [("fr", "Total :", "Vous réglez"), ("en", "Total:", "You pay")]
)
def test_the_default_confirmation_shows_the_lines_before_the_payment(
    hotel, rooms, day, language, total, pay
):
    reservation = held(hotel, rooms, day, language)
    booking_confirm(reservation=reservation, provider_code="at_property")
    run_outbox(booking_emails_task)
    (to_guest,) = [m for m in mail.outbox if m.to == ["lea@example.fr"]]
    body = to_guest.body
    name = getattr(rooms["classique"], f"name_{language}")
    assert body.index(total) < body.index(f"- {name}") < body.index(pay)


def test_the_template_editor_offers_summary_and_previews_it(boss, hotel):
    page = boss.get("/frontdesk/emails/confirmation/fr/").content.decode()
    assert "<code>{summary}</code>" in page and "<code>{payment}</code>" in page
    response = boss.post(
        "/frontdesk/emails/confirmation/fr/",
        {"action": "preview", "subject": "{reference}", "body": "{summary}|{payment}"},
    )
    text = response.content.decode()
    assert "2 nuits" in text and "Votre acompte" in text
