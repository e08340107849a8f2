"""The police form (REFERENCE §10): pre-filled from the booking, signed on the tablet, printed,
listed per night for the police, and purged with an audit line 6 months after the arrival."""

import base64
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import AuditEntry
from pms.models import PoliceForm
from pms.services.police import police_forms_purge
from pms.tasks import police_forms_purge_task
from tests.billing.test_invoice_pdf import pdf_text

pytestmark = pytest.mark.django_db

# a 1×1 PNG, what the canvas sends (as a data URL)
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
        "9c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()
SIGNATURE = f"data:image/png;base64,{PNG}"


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def foreign_stay(book):
    res = book("classique", nights=2, last_name="Schmidt")
    guest = res.guest
    guest.first_name, guest.country, guest.email = "Anna", "DE", "anna@example.de"
    guest.save()
    return res


def fields(**overrides):
    data = {
        "last_name": "Schmidt",
        "first_name": "Anna Maria",
        "birth_date": "1988-04-12",
        "birth_place": "München",
        "nationality": "DE",
        "address": "Leopoldstraße 1, 80802 München",
        "phone": "+49 170 000000",
        "email": "anna@example.de",
        "children_under_15": "1",
        "signature": SIGNATURE,
        "prefilled": "1",
    }
    data.update(overrides)
    return data


def test_form_is_prefilled_from_the_booking_and_marked_required(desk, foreign_stay):
    page = desk.get(f"/frontdesk/reservations/{foreign_stay.reference}/").content.decode()
    assert "Police form" in page and "to sign" in page
    form = desk.get(f"/frontdesk/reservations/{foreign_stay.reference}/police-form/")
    html = form.content.decode()
    assert 'value="Schmidt"' in html and 'value="Anna"' in html and 'value="DE"' in html
    assert "Required: the guest is not a French national." in html
    assert "js/signature.js" in html and "<script>" not in html


def test_a_foreign_guest_signs_prints_and_is_purged_after_six_months(
    desk, hotel, foreign_stay, tmp_path
):
    # when: the guest signs at check-in
    url = f"/frontdesk/reservations/{foreign_stay.reference}/police-form/"
    response = desk.post(url, fields())
    # then
    assert response.status_code == 302
    form = PoliceForm.objects.get()
    assert (form.last_name, form.nationality, form.children_under_15) == ("Schmidt", "DE", 1)
    assert (form.arrival, form.departure) == (foreign_stay.arrival, foreign_stay.departure)
    assert form.guest == foreign_stay.guest and form.signature == SIGNATURE
    assert AuditEntry.objects.filter(action="pms.police_form.signed").count() == 1
    # printed
    pdf = desk.get(f"/frontdesk/police-forms/{form.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    assert "Schmidt" in text and "München" in text and "12/04/1988" in text
    # listed for the police on each night of the stay, not after
    listing = desk.get(f"/frontdesk/police-forms/?day={foreign_stay.arrival}").content.decode()
    assert "Schmidt Anna Maria" in listing
    after = desk.get(f"/frontdesk/police-forms/?day={foreign_stay.departure}").content.decode()
    assert "Schmidt" not in after and "No police form for that night." in after
    # a day before the 6 months are up: kept
    now = timezone.now()
    assert police_forms_purge(now=now + timedelta(days=180)) == 0
    assert PoliceForm.objects.exists()
    # when: 6 months and a day later (time-travel: the purge is given the clock)
    later = now + timedelta(days=186)
    assert police_forms_purge(now=later) == 1
    # then: gone, and the purge audited with the count only
    assert not PoliceForm.objects.exists()
    purge = AuditEntry.objects.get(action="pms.police_form.purged")
    assert purge.property == hotel and purge.data["count"] == 1
    assert "Schmidt" not in str(purge.data)
    assert police_forms_purge(now=later) == 0  # idempotent, no second audit line
    assert AuditEntry.objects.filter(action="pms.police_form.purged").count() == 1
    assert desk.get(f"/frontdesk/police-forms/{form.pk}.pdf").status_code == 404


def test_the_purge_runs_daily_from_beat(hotel):
    entry = settings.CELERY_BEAT_SCHEDULE["pms-police-forms-purge"]
    assert entry["task"] == "pms.tasks.police_forms_purge_task"
    assert police_forms_purge_task() == 0


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"signature": ""}, "The guest must sign the form."),
        ({"signature": "data:image/png;base64,AAAA"}, "The signature could not be read"),
        ({"birth_date": "2099-01-01"}, "Enter a valid date of birth."),
        ({"birth_date": "12/04/1988"}, "Enter the date of birth."),
        ({"nationality": "FR"}, "A French national does not fill in a police form."),
        ({"nationality": "Deutsch"}, "Choose the nationality."),
        ({"birth_place": " "}, "Fill in “place of birth”."),
        ({"email": "anna@"}, "is not a valid e-mail address."),
        ({"children_under_15": "-1"}, "The number of children must be a whole number."),
    ],
)
def test_bad_input_is_refused_keeps_what_was_typed_and_saves_nothing(
    desk, foreign_stay, overrides, message
):
    url = f"/frontdesk/reservations/{foreign_stay.reference}/police-form/"
    response = desk.post(url, fields(**overrides))
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert "Leopoldstraße 1" in html  # what was typed stays
    assert not PoliceForm.objects.exists()
    assert not AuditEntry.objects.filter(action="pms.police_form.signed").exists()


def test_another_property_cannot_read_the_form(client, desk, foreign_stay, other_hotel):
    from core.models import Role
    from tests.factories.core import make_staff

    desk.post(f"/frontdesk/reservations/{foreign_stay.reference}/police-form/", fields())
    form = PoliceForm.objects.get()
    client.force_login(make_staff(other_hotel, Role.FRONT_DESK, username="elsewhere"))
    assert client.get(f"/frontdesk/police-forms/{form.pk}.pdf").status_code == 404
    assert "Schmidt" not in client.get("/frontdesk/police-forms/").content.decode()
