"""The administrators' second factor (django-otp): the admin asks for it after the password,
enrolment shows a QR code, a TOTP computed from the device's key or a backup code passes it,
and a wrong code does not."""

import re

import pytest
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AuditEntry, Role
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "pw-secret-123"


@pytest.fixture
def administrator(hotel):
    user = make_staff(hotel, Role.ADMIN, username="root")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def sign_in(username="root") -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enrol(client) -> list[str]:
    page = client.get("/account/two-factor/setup/?next=/admin/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user__username="root", confirmed=False)
    done = client.post("/account/two-factor/setup/", {"token": code_of(device), "next": "/admin/"})
    assert done.status_code == 200
    return re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())


def test_the_password_alone_does_not_open_the_admin(administrator):
    client = sign_in()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/setup/?next=/admin/"
    assert client.get("/admin/core/property/").status_code == 302


def test_enrolment_shows_a_qr_code_and_a_totp_opens_the_admin(administrator):
    client = sign_in()
    page = client.get("/account/two-factor/setup/?next=/admin/").content.decode()
    assert "<svg" in page and 'data-testid="otp-secret"' in page
    codes = enrol(client)
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=administrator).confirmed
    assert client.get("/admin/").status_code == 200
    assert AuditEntry.objects.filter(
        action="core.two_factor.enrolled", actor=administrator
    ).exists()


def test_a_wrong_code_does_not_enrol_and_the_next_try_must_wait(administrator):
    client = sign_in()
    client.get("/account/two-factor/setup/?next=/admin/")
    device = TOTPDevice.objects.get(user=administrator)
    wrong = client.post("/account/two-factor/setup/", {"token": "000000", "next": "/admin/"})
    assert wrong.status_code == 422 and "This code is not right" in wrong.content.decode()
    # django-otp's throttle: right after a wrong code even the right one waits
    hurried = client.post("/account/two-factor/setup/", {"token": code_of(device)})
    assert hurried.status_code == 422 and "wait a few seconds" in hurried.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/admin/").status_code == 302


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0, OTP_STATIC_THROTTLE_FACTOR=0)
def test_a_later_sign_in_asks_for_the_code_and_a_backup_code_works_once(administrator):
    codes = enrol(sign_in())
    client = sign_in()
    response = client.get("/admin/")
    assert response["Location"] == "/account/two-factor/?next=/admin/"
    # the password alone cannot enrol a new device in place of the existing one
    again = client.get("/account/two-factor/setup/?next=/admin/")
    assert again["Location"] == "/account/two-factor/?next=/admin/"
    wrong = client.post("/account/two-factor/", {"token": "123456", "next": "/admin/"})
    assert wrong.status_code == 403 and "This code is not right" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    passed = client.post("/account/two-factor/", {"token": codes[0], "next": "/admin/"})
    assert passed.status_code == 302 and passed["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # the same backup code does not work twice
    other = sign_in()
    reused = other.post("/account/two-factor/", {"token": codes[0], "next": "/admin/"})
    assert reused.status_code == 403


def test_a_totp_from_the_device_key_passes_the_check(administrator):
    enrol(sign_in())
    device = TOTPDevice.objects.get(user=administrator)
    device.last_t = -1  # the enrolment used this time step's code: a new step's code
    device.save()
    client = sign_in()
    passed = client.post("/account/two-factor/", {"token": code_of(device), "next": "/admin/"})
    assert passed.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_offsite_next_is_ignored(administrator):
    client = sign_in()
    enrol(client)
    response = client.post("/account/two-factor/", {"token": "x", "next": "https://evil.example/"})
    assert response.status_code == 403
    assert 'value="/admin/"' in response.content.decode()
