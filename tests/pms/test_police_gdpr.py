"""A guest's erasure keeps the police forms still within their 6-month retention (a legal
obligation, CESEDA R611-42; GDPR art. 17(3)(b)) and deletes those past it; the nightly
purge then deletes the rest when their time is up."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.services.gdpr import guest_erase
from pms.models import PoliceForm, Reservation
from pms.services.police import police_forms_purge
from tests.factories.stays import make_stay

pytestmark = pytest.mark.django_db


def police_form(reservation, *, arrival):
    return PoliceForm.objects.create(
        property=reservation.property,
        reservation=reservation,
        guest=reservation.guest,
        last_name="Zyxwandor",
        first_name="Ana",
        birth_date="1980-01-02",
        birth_place="Lisboa",
        nationality="PT",
        address="Rua 1, Lisboa",
        arrival=arrival,
        departure=arrival + timedelta(days=2),
        signature="data:image/png;base64,AAAA",
        signed_at=timezone.now(),
    )


def test_an_erasure_keeps_police_forms_within_their_retention_only(hotel, manager):
    stay = make_stay(hotel, last_name="Zyxwandor", status=Reservation.Status.CHECKED_OUT)
    reservation = stay.reservation
    today = hotel.business_date()
    recent = police_form(reservation, arrival=today - timedelta(days=30))
    old = police_form(reservation, arrival=today - timedelta(days=200))

    guest_erase(guest=reservation.guest, actor=manager, reason="guest's letter")

    # the recent form is kept as signed, the old one is gone with the erasure
    assert list(PoliceForm.objects.values_list("pk", "last_name")) == [(recent.pk, "Zyxwandor")]
    assert not PoliceForm.objects.filter(pk=old.pk).exists()
    # and once its 6 months are over, the nightly purge deletes it too
    assert police_forms_purge(now=timezone.now() + timedelta(days=200)) == 1
    assert not PoliceForm.objects.exists()
