"""The booking engine framed by the property's websites: its frame-ancestors, and its POSTs
checked without the CSRF cookie a frame of another site does not get (Origin, Sec-Fetch-Site
and a form token signed for the property: pms/views/booking_csrf.py). Staff screens keep
Django's cookie-bound CSRF check."""

import re

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import Property
from pms.models import Reservation
from tests.pms.booking.test_booking_engine import GUEST, stay

pytestmark = pytest.mark.django_db

ENGINE = "http://testserver"  # the test client's own origin


@pytest.fixture
def guest_browser():
    """A browser's client: Django's CSRF checks are enforced, as in a real browser."""
    return Client(enforce_csrf_checks=True)


def form_token(page) -> str:
    return re.search(r'name="booking_token" value="([^"]+)"', page.content.decode()).group(1)


def details_post(guest_browser, hotel, classique, day, *, headers=None, token=None, lang="en"):
    page = guest_browser.get(f"/book/{hotel.slug}/details/", stay(day, classique))
    data = {**stay(day, classique), **GUEST, "lang": lang}
    data["booking_token"] = form_token(page) if token is None else token
    return guest_browser.post(f"/book/{hotel.slug}/details/", data, headers=headers or {})


SAME_ORIGIN = {"Origin": ENGINE, "Sec-Fetch-Site": "same-origin"}


def test_a_framed_guest_books_without_any_cookie(guest_browser, hotel, rooms, room_type, day):
    # given a browser that sends the engine no cookie (a frame of another site)
    page = guest_browser.get(f"/book/{hotel.slug}/details/", stay(day, room_type("classique")))
    assert "csrftoken" not in page.cookies  # the engine sets no CSRF cookie
    # when the guest holds the room and pays, the browser saying the POSTs are the engine's
    held = details_post(guest_browser, hotel, room_type("classique"), day, headers=SAME_ORIGIN)
    assert held.status_code == 302, held.content.decode()[:500]
    guest_browser.cookies.clear()
    pay_url = held.url.split("?")[0]
    payment = guest_browser.get(held.url)
    paid = guest_browser.post(
        pay_url,
        {"provider": "bank_transfer", "booking_token": form_token(payment), "lang": "en"},
        headers=SAME_ORIGIN,
    )
    # then the booking is confirmed and its confirmation shows the instructions, no session
    assert paid.status_code == 302
    guest_browser.cookies.clear()
    done = guest_browser.get(paid.url)
    reservation = Reservation.objects.get(channel="booking_engine")
    assert reservation.status == "confirmed"
    assert reservation.reference in done.context["instructions"]
    # a confirmation address whose note was altered shows no instructions (nothing forged)
    forged = guest_browser.get(paid.url.replace("note=", "note=x"))
    assert forged.status_code == 200 and forged.context["instructions"] == ""


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://attacker.example"},  # a browser that sends no Sec-Fetch-Site
        {"Sec-Fetch-Site": "cross-site"},  # one that hides the Origin
        {"Origin": ENGINE, "Sec-Fetch-Site": "same-site"},  # a sibling subdomain
        {"Origin": "null"},  # a sandboxed frame
    ],
    ids=["cross-site", "foreign-origin", "cross-site-no-origin", "same-site", "null-origin"],
)
def test_a_form_posted_from_another_site_is_refused_and_books_nothing(
    guest_browser, hotel, rooms, room_type, day, headers
):
    response = details_post(guest_browser, hotel, room_type("classique"), day, headers=headers)
    assert response.status_code == 403
    assert "nothing was booked" in response.content.decode()
    assert not Reservation.objects.exists()


def test_a_missing_foreign_or_expired_form_token_is_refused(
    guest_browser, hotel, other_hotel, rooms, room_type, day, monkeypatch
):
    classique = room_type("classique")
    # no token, a forged one, one signed for another property's engine
    other_page = guest_browser.get(f"/book/{other_hotel.slug}/")
    other_token = form_token(other_page) if "booking_token" in other_page.content.decode() else ""
    from pms.views.booking_csrf import booking_form_token

    for token in ("", "forged:token", booking_form_token(other_hotel), other_token):
        response = details_post(
            guest_browser, hotel, classique, day, headers=SAME_ORIGIN, token=token
        )
        assert response.status_code == 403, token
    # a token older than its age limit
    monkeypatch.setattr("pms.views.booking_csrf.FORM_TOKEN_MAX_AGE", -1)
    assert details_post(guest_browser, hotel, classique, day).status_code == 403
    assert not Reservation.objects.exists()


def test_the_refusal_speaks_the_guest_language(guest_browser, hotel, rooms, room_type, day):
    response = details_post(
        guest_browser,
        hotel,
        room_type("classique"),
        day,
        headers={"Origin": "https://attacker.example"},
        lang="fr",
    )
    assert response.status_code == 403
    assert "Cette page a expiré" in response.content.decode()


def test_staff_screens_keep_the_cookie_bound_csrf_check(guest_browser, manager):
    # a signed-in manager's POST without Django's CSRF token is refused as before
    guest_browser.force_login(manager)
    response = guest_browser.post("/property/switch/", {"property_id": "1"}, headers=SAME_ORIGIN)
    assert response.status_code == 403
    assert guest_browser.get("/").cookies.get("csrftoken") is not None


def frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(p.strip() for p in policy.split(";") if p.strip().startswith("frame-ancestors"))


def test_the_engine_may_be_framed_by_the_listed_websites_only(client, hotel, rooms, day):
    # by default, only by the engine's own pages
    page = client.get(f"/book/{hotel.slug}/")
    assert frame_ancestors(page) == "frame-ancestors 'self'"
    assert "X-Frame-Options" not in page.headers
    # a manager lists the hotel's websites (typed as people do: upper case, trailing slash)
    hotel.booking_frame_ancestors = "HTTPS://www.Hotel-Les-Tests.fr/\nhttps://*.les-tests.fr"
    hotel.full_clean()
    hotel.save()
    for path in (f"/book/{hotel.slug}/", f"/book/{hotel.slug}/details/?{stay_query(day)}"):
        assert frame_ancestors(client.get(path)) == (
            "frame-ancestors 'self' https://www.hotel-les-tests.fr https://*.les-tests.fr"
        )
    # another property's engine and the staff screens are not framed by them
    other = Property.objects.exclude(pk=hotel.pk).first()
    if other is not None:
        assert "les-tests.fr" not in frame_ancestors(client.get(f"/book/{other.slug}/"))
    assert frame_ancestors(client.get("/login/")) == "frame-ancestors 'none'"


def stay_query(day) -> str:
    return f"arrival={day(3).isoformat()}&departure={day(5).isoformat()}&adults=2&room_type=0"


@pytest.mark.parametrize(
    "value",
    [
        "https://www.example.com; script-src *",  # would add a directive to the header
        "'unsafe-inline'",
        "*",
        "javascript:alert(1)",
        "https://www.example.com/booking",
        "www.example.com",
        "https://exa mple.com",
        "ftp://example.com",
    ],
)
def test_anything_but_a_website_address_is_refused_with_a_clear_error(hotel, value):
    hotel.booking_frame_ancestors = value
    with pytest.raises(ValidationError) as caught:
        hotel.full_clean()
    assert "is not a website address such as https://www.example.com" in str(
        caught.value.message_dict["booking_frame_ancestors"]
    )


def test_the_admin_edits_the_list_and_refuses_a_bad_one(admin_user, hotel):
    # a password session that passed the admin's second factor (django-otp's session key)
    admin_client = Client()
    admin_client.force_login(admin_user)
    device = TOTPDevice.objects.create(user=admin_user, name="app", confirmed=True)
    session = admin_client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    url = f"/admin/core/property/{hotel.pk}/change/"
    admin_client.cookies["django_language"] = "en"
    form = admin_client.get(url)
    assert form.status_code == 200 and "booking_frame_ancestors" in form.content.decode()
    data = {
        k: v
        for k, v in form.context["adminform"].form.initial.items()
        if v is not None and not isinstance(v, (list, dict))
    }
    data.update(
        {
            "organization": hotel.organization_id,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    bad = admin_client.post(url, {**data, "booking_frame_ancestors": "https://a.fr; frame-src *"})
    assert bad.status_code == 200 and "is not a website address" in bad.content.decode()
    hotel.refresh_from_db()
    assert hotel.booking_frame_ancestors == ""
    good = admin_client.post(url, {**data, "booking_frame_ancestors": "https://www.a.fr"})
    assert good.status_code == 302, good.context["adminform"].form.errors
    hotel.refresh_from_db()
    assert hotel.booking_embed_origins() == ["https://www.a.fr"]
    assert Property in admin_site._registry
