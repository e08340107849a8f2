"""Terminal sessions: what a PIN opens on a shared device (core.terminal_sessions), who the
PIN list shows, the throttles per person, device and property, managers' 6-digit PINs and
the idle expiry."""

import re
import time

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings

from core.exceptions import InvalidInput
from core.models import Role, StaffProfile
from core.services import staff_pin_set
from core.terminal_sessions import AUTH_METHOD, SEEN
from core.terminals import COOKIE, bind_terminal
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal

pytestmark = pytest.mark.django_db

PASSWORD = "pw-secret-123"  # the factories' password
PASSWORD_ONLY = [
    "/admin/",
    "/staff/",
    "/billing/accounting/",
    "/billing/accounting/export/fec/",
    "/channels/connections/",
    "/pos/terminals/",
    "/api/v1/properties/les-tests/reservations/",
]


def bind(client, property, *, terminal=None, label="Bar 1"):
    """Bind `client` like a manager's "bind this device" does (a new device id each time)."""
    response = HttpResponse()
    bind_terminal(
        response,
        property_id=property.pk,
        terminal_id=terminal.pk if terminal else None,
        label=label,
    )
    client.cookies[COOKIE] = response.cookies[COOKIE].value
    client.cookies["django_language"] = "en"
    return client


def pin(client, user, code, **extra):
    return client.post("/pin/", {"user_id": user.pk, "pin": code, **extra})


@pytest.fixture
def bar(hotel):
    return make_terminal(hotel)


# --- who the PIN list shows -------------------------------------------------------------


def test_the_pin_list_shows_only_operational_roles_never_a_superuser(
    client, hotel, other_hotel, waiter, manager
):
    boss = make_staff(hotel, Role.ADMIN, username="superboss", pin="123456")
    boss.is_superuser = boss.is_staff = True
    boss.save()
    supercook = make_staff(hotel, Role.WAITER, username="supercook", pin="4321")
    supercook.is_superuser = True
    supercook.save()
    make_staff(hotel, Role.ACCOUNTANT, username="counts", pin="7777")
    make_staff(other_hotel, Role.WAITER, username="elsewhere", pin="1212")
    bind(client, hotel)
    page = client.get("/pin/").content.decode()
    listed = set(re.findall(r'name="user_id" value="(\d+)"', page))
    assert listed == {str(waiter.pk), str(manager.pk)}
    # and a superuser's id typed by hand does not sign them in either
    refused = pin(client, supercook, "4321")
    assert refused.status_code == 403
    assert "password" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unbound_device_shows_no_pin_screen(client, waiter):
    client.force_login(waiter)
    response = client.get("/pin/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert pin(client, waiter, "2222").status_code == 302
    assert AUTH_METHOD not in client.session  # the password session stays as it was


# --- what a terminal session reaches ----------------------------------------------------


@pytest.mark.parametrize("path", PASSWORD_ONLY)
def test_a_pin_session_is_sent_to_the_password_for_back_office_screens(
    client, hotel, bar, manager, path
):
    bind(client, hotel, terminal=bar)
    assert pin(client, manager, "666666").status_code == 302
    assert client.session[AUTH_METHOD] == "pin"
    response = client.get(path)
    assert response.status_code == 403
    if path.startswith("/api/"):
        assert response.json()["code"] == "password_required"
    else:
        page = response.content.decode()
        assert "Sign in with your password" in page
        assert f'href="/login/?next={path}"' in page


def test_a_pin_session_opens_the_terminal_screens(client, hotel, bar, manager, catalog):
    bind(client, hotel, terminal=bar)
    pin(client, manager, "666666")
    for path in ["/", "/pos/counter/", "/pos/tables/", "/pos/cash/", "/pos/kitchen/kitchen/"]:
        assert client.get(path).status_code == 200, path
    # the menu shows no back-office screen, and the front desk is not a POS terminal's
    home = client.get("/").content.decode()
    assert 'href="/staff/"' not in home and 'href="/billing/accounting/"' not in home
    assert client.get("/frontdesk/").status_code == 403


def test_an_htmx_tap_on_a_password_screen_goes_to_the_sign_in(client, hotel, bar, manager):
    bind(client, hotel, terminal=bar)
    pin(client, manager, "666666")
    response = client.get("/staff/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/login/?next=/staff/"


def test_the_same_manager_signed_in_with_the_password_reaches_the_back_office(
    client, hotel, bar, manager
):
    bind(client, hotel, terminal=bar)
    pin(client, manager, "666666")
    assert client.get("/staff/").status_code == 403
    # the sign-in page is shown to a PIN session (not bounced back home)
    form = client.get("/login/?next=/staff/")
    assert form.status_code == 200 and 'name="password"' in form.content.decode()
    signed = client.post(
        "/login/", {"username": "manager", "password": PASSWORD, "next": "/staff/"}
    )
    assert signed.status_code == 302 and signed["Location"] == "/staff/"
    assert AUTH_METHOD not in client.session
    for path in ["/staff/", "/billing/accounting/", "/channels/connections/", "/pos/terminals/"]:
        assert client.get(path).status_code == 200, path
    # then a PIN switch on the same device is a terminal session again
    pin(client, manager, "666666")
    assert client.get("/staff/").status_code == 403


def test_a_pin_session_cannot_switch_property(client, hotel, other_hotel, bar, manager):
    from core.models import Membership

    Membership.objects.create(user=manager, property=other_hotel, role=Role.MANAGER)
    bind(client, hotel, terminal=bar)
    pin(client, manager, "666666")
    response = client.post("/property/switch/", {"property_id": other_hotel.pk})
    assert response.status_code == 403
    assert client.session["active_property_id"] == hotel.pk


# --- throttles --------------------------------------------------------------------------


def test_one_device_is_locked_after_wrong_pins_across_many_people(client, hotel):
    # given: 8 people and a 9th who has not been tried, all at the bar
    staff = [
        make_staff(hotel, Role.WAITER, username=f"w{n}", pin=f"{n}{n}{n}{n}") for n in range(1, 10)
    ]
    device = bind(client, hotel)
    # when: one device tries 5 wrong PINs for each of 8 people (40 tries)
    statuses = [pin(device, person, "0000").status_code for person in staff[:8] for _ in range(5)]
    # then: each person is locked after their 5th (PIN_MAX_FAILURES), and the device after
    # its 10th (PIN_DEVICE_MAX_FAILURES): nobody else is tried from it
    assert statuses[:10] == ([403] * 4 + [429]) * 2
    assert set(statuses[10:]) == {429}
    locked = pin(device, staff[8], "9999")
    assert locked.status_code == 429
    assert "Too many wrong PINs. Try again in 5 minutes" in locked.content.decode()
    assert int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in device.session
    # while another device of the property still signs people in
    other = bind(Client(), hotel, label="Terrasse")
    assert pin(other, staff[8], "9999").status_code == 302


@override_settings(PIN_PROPERTY_MAX_FAILURES=6, PIN_DEVICE_MAX_FAILURES=100)
def test_the_property_is_locked_after_wrong_pins_from_several_devices(hotel):
    staff = [
        make_staff(hotel, Role.WAITER, username=f"w{n}", pin=f"{n}{n}{n}{n}") for n in range(1, 5)
    ]
    for n in range(3):  # three devices, two wrong PINs each, for different people
        device = bind(Client(), hotel, label=f"Tablet {n}")
        assert pin(device, staff[n], "0000").status_code == 403
        pin(device, staff[n], "0001")
    fresh = bind(Client(), hotel, label="Tablet 9")
    response = pin(fresh, staff[3], "4444")
    assert response.status_code == 429
    assert "Too many wrong PINs" in response.content.decode()


def test_a_person_of_another_property_is_refused_before_any_throttle(client, hotel, other_hotel):
    outsider = make_staff(other_hotel, Role.WAITER, username="outsider", pin="1234")
    # given: the outsider is locked at their own property
    at_home = bind(Client(), other_hotel)
    for _ in range(5):
        pin(at_home, outsider, "0000")
    assert pin(at_home, outsider, "1234").status_code == 429
    # when: their id is posted on this property's terminal
    response = pin(bind(client, hotel), outsider, "1234")
    # then: refused as a stranger here, not as a locked person
    assert response.status_code == 403
    assert "does not work here" in response.content.decode()


# --- managers' PINs ---------------------------------------------------------------------


def test_a_manager_pin_must_have_six_digits(hotel, manager, waiter):
    with pytest.raises(InvalidInput) as refused:
        staff_pin_set(user=manager, pin="1234")
    assert "6 digits" in str(refused.value.message)
    assert manager.staff_profile.check_pin("666666")
    staff_pin_set(user=waiter, pin="1234")  # 4 digits stay fine for a waiter


def test_the_staff_screen_refuses_a_short_manager_pin(client, hotel, manager, staff_of):
    deputy = staff_of(hotel, Role.MANAGER, username="deputy")
    client.force_login(manager)
    from core.models import Membership

    member = Membership.objects.get(user=deputy)
    response = client.post("/staff/", {"membership_id": member.pk, "pin": "4321"})
    assert response.status_code == 422
    assert "A manager&#x27;s PIN has 6 digits." in response.content.decode()
    assert not StaffProfile.objects.filter(user=deputy).exclude(pin_hash="").exists()


def test_a_short_manager_pin_set_before_the_rule_no_longer_opens_anything(client, hotel, manager):
    profile = manager.staff_profile
    profile.set_pin("6666")  # what the 4-digit rule allowed
    profile.save()
    bind(client, hotel)
    response = pin(client, manager, "6666")
    assert response.status_code == 403
    assert "A shorter PIN no longer works" in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- idle expiry ------------------------------------------------------------------------


@override_settings(PIN_SESSION_IDLE_SECONDS=300)
def test_a_terminal_session_ends_after_inactivity(client, hotel, bar, waiter, catalog):
    bind(client, hotel, terminal=bar)
    pin(client, waiter, "2222")
    assert client.get("/pos/counter/").status_code == 200
    # when: nobody touched the terminal for longer than the setting
    session = client.session
    session[SEEN] = time.time() - 301
    session.save()
    response = client.get("/pos/counter/")
    # then: back to the PIN screen, signed out
    assert response.status_code == 302
    assert response["Location"] == "/pin/?next=/pos/counter/"
    assert "_auth_user_id" not in client.session
    assert client.get("/pin/").status_code == 200


@override_settings(PIN_SESSION_IDLE_SECONDS=300)
def test_a_password_session_does_not_expire_with_the_terminal_setting(
    client, hotel, bar, waiter, catalog
):
    bind(client, hotel, terminal=bar)
    client.post("/login/", {"username": "waiter", "password": PASSWORD})
    session = client.session
    session[SEEN] = time.time() - 3600
    session.save()
    assert client.get("/pos/counter/").status_code == 200


@override_settings(PIN_SESSION_IDLE_SECONDS=300)
def test_an_htmx_tap_after_inactivity_goes_back_to_the_pin_screen(client, hotel, bar, waiter):
    bind(client, hotel, terminal=bar)
    pin(client, waiter, "2222")
    session = client.session
    session[SEEN] = time.time() - 301
    session.save()
    response = client.get("/pos/tables/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/pin/?next=/pos/tables/"
    assert "_auth_user_id" not in client.session


def test_the_pin_screen_and_its_refusals_speak_french(client, hotel, manager):
    bind(client, hotel)
    client.cookies["django_language"] = "fr"
    short = pin(client, manager, "6666").content.decode()
    assert "Le code PIN d&#x27;un responsable comporte désormais 6 chiffres" in short
    for _ in range(5):
        response = pin(client, manager, "000000")
    assert response.status_code == 429
    assert "Trop de codes PIN erronés. Réessayez dans 5 minutes" in response.content.decode()
