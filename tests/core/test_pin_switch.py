"""Quick PIN switch on a shared terminal, and its rate limit."""

import pytest
from django.http import HttpResponse
from django.test import override_settings

from core.models import AuditEntry, Role
from core.terminals import COOKIE, bind_terminal

pytestmark = pytest.mark.django_db


def bind(client, property, label="Bar 1"):
    response = HttpResponse()
    bind_terminal(response, property_id=property.pk, terminal_id=None, label=label)
    client.cookies[COOKIE] = response.cookies[COOKIE].value


def test_terminal_lists_staff_with_a_pin(client, hotel, waiter, manager, staff_of):
    staff_of(hotel, Role.HOUSEKEEPING, username="nopin")
    bind(client, hotel)
    page = client.get("/pin/").content.decode()
    assert waiter.first_name in page and manager.first_name in page
    assert "nopin" not in page


def test_right_pin_signs_the_waiter_in(client, hotel, waiter):
    bind(client, hotel)
    response = client.post("/pin/", {"user_id": waiter.pk, "pin": "2222"})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == waiter.pk
    assert AuditEntry.objects.filter(action="core.staff.pin_switch", actor=waiter).count() == 1


def test_switch_replaces_the_previous_user_and_keeps_the_terminal(client, hotel, waiter, manager):
    bind(client, hotel, label="Terrasse")
    client.post("/pin/", {"user_id": waiter.pk, "pin": "2222"})
    client.post("/pin/", {"user_id": manager.pk, "pin": "666666"})
    assert int(client.session["_auth_user_id"]) == manager.pk
    assert "Terrasse" in client.get("/pin/").content.decode()


def test_wrong_pin_is_refused(client, hotel, waiter):
    bind(client, hotel)
    response = client.post(
        "/pin/", {"user_id": waiter.pk, "pin": "9999"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 403
    assert "Wrong PIN" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(PIN_MAX_FAILURES=3)
def test_pin_is_locked_after_repeated_failures_even_with_the_right_pin(client, hotel, waiter):
    bind(client, hotel)
    for _ in range(3):
        client.post("/pin/", {"user_id": waiter.pk, "pin": "0000"})
    response = client.post(
        "/pin/", {"user_id": waiter.pk, "pin": "2222"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 429
    assert "Too many wrong PINs" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(PIN_MAX_FAILURES=3)
def test_lock_is_per_person(client, hotel, waiter, manager):
    bind(client, hotel)
    for _ in range(3):
        client.post("/pin/", {"user_id": waiter.pk, "pin": "0000"})
    response = client.post("/pin/", {"user_id": manager.pk, "pin": "666666"})
    assert response.status_code == 302


def test_staff_of_another_property_cannot_switch_in(client, hotel, other_hotel, staff_of):
    outsider = staff_of(other_hotel, Role.WAITER, username="outsider", pin="1234")
    bind(client, hotel)
    response = client.post("/pin/", {"user_id": outsider.pk, "pin": "1234"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_forged_terminal_cookie_is_ignored(client, hotel, waiter):
    client.cookies[COOKIE] = "forged"
    response = client.get("/pin/")
    assert response.status_code == 302  # no binding, not signed in: sign in first


def test_pin_must_have_four_to_six_digits(waiter):
    from core.exceptions import InvalidInput
    from core.services import staff_pin_set

    with pytest.raises(InvalidInput):
        staff_pin_set(user=waiter, pin="12a4")
    assert waiter.staff_profile.check_pin("2222")
