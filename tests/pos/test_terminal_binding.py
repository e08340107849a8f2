"""Binding a browser to a POS terminal, and the PIN switch that follows."""

import pytest
from django.test import RequestFactory

from core.models import AuditEntry
from core.terminals import COOKIE
from pos.models import Outlet, Terminal
from pos.terminal_cache import terminals_changed
from pos.terminals import terminal_for_request
from tests.factories.pos import make_terminal

pytestmark = pytest.mark.django_db
PAGE = "/pos/terminals/"


def test_waiter_gets_403(client, waiter, terminal):
    client.force_login(waiter)
    assert client.get(PAGE).status_code == 403
    response = client.post(PAGE, {"action": "bind", "terminal_id": terminal.pk})
    assert response.status_code == 403
    assert COOKIE not in response.cookies


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_manager_sees_outlets_terminals_and_the_menu_entry(client, manager, terminal, hotel):
    make_terminal(hotel, outlet_code="spa", outlet_name="Spa Les Pins", name="Accueil spa")
    client.force_login(manager)
    page = client.get(PAGE).content.decode()
    assert "Bar de la Piscine" in page and "Spa Les Pins" in page and "Accueil spa" in page
    assert "Bind this device" in page
    assert 'href="/pos/terminals/"' in client.get("/").content.decode()


def test_bind_then_pin_switch_shows_the_terminal_label(client, manager, waiter, terminal):
    client.force_login(manager)
    response = client.post(PAGE, {"action": "bind", "terminal_id": terminal.pk})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="pos.terminal.bound", actor=manager).count() == 1
    page = client.get(PAGE).content.decode()
    assert "This device is bound to Bar de la Piscine · Caisse 1." in page
    # when staff switch on this device
    client.post("/pin/", {"user_id": waiter.pk, "pin": "2222"})
    assert int(client.session["_auth_user_id"]) == waiter.pk
    assert "Bar de la Piscine · Caisse 1" in client.get("/pin/").content.decode()


def test_unbind(client, manager, terminal):
    client.force_login(manager)
    client.post(PAGE, {"action": "bind", "terminal_id": terminal.pk})
    response = client.post(PAGE, {"action": "unbind"})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == ""
    assert "not bound to a terminal" in client.get(PAGE).content.decode()


def test_another_propertys_terminal_cannot_be_bound(client, manager, other_hotel):
    foreign = make_terminal(other_hotel)
    client.force_login(manager)
    response = client.post(PAGE, {"action": "bind", "terminal_id": foreign.pk})
    assert response.status_code == 404
    assert COOKIE not in response.cookies
    assert not AuditEntry.objects.filter(action="pos.terminal.bound").exists()


def test_terminal_for_request_resolves_only_this_propertys_terminal(
    client, manager, hotel, other_hotel, terminal
):
    client.force_login(manager)
    client.post(PAGE, {"action": "bind", "terminal_id": terminal.pk})
    request = RequestFactory().get("/")
    request.COOKIES[COOKIE] = client.cookies[COOKIE].value
    request.property = hotel
    assert terminal_for_request(request) == terminal
    request.property = other_hotel
    assert terminal_for_request(request) is None
    request.property = hotel
    terminal.is_active = False
    terminal.save()
    assert terminal_for_request(request) is None
    # a bulk update sends no signal: its code says so (pos.terminal_cache)
    terminal.is_active = True
    terminal.save()
    assert terminal_for_request(request) == terminal
    Terminal.objects.filter(pk=terminal.pk).update(is_active=False)
    terminals_changed()
    assert terminal_for_request(request) is None
    request.COOKIES[COOKIE] = "forged"
    assert terminal_for_request(request) is None


def test_demo_outlets_are_idempotent(hotel):
    from pos import demo

    context = {"property": hotel}
    demo.seed(context)
    demo.seed(context)
    assert Outlet.objects.filter(property=hotel).count() == 6
    assert set(Outlet.objects.values_list("kind", flat=True)) == {
        "bar",
        "restaurant",
        "spa",
        "shop",
        "reception",
        "pool",
    }
    # 8 staff terminals and the shop's click-and-collect terminal, once after two seeds
    assert Terminal.objects.filter(property=hotel).count() == 9
    assert all(1 <= o.terminals.count() <= 2 for o in Outlet.objects.all())
