"""The manager's outlets screen: a test page through the print queue to a network printer
(the ESC/POS listener the print tests use), and pairing a new tablet by a short code that
lasts 10 minutes, works once and cannot be guessed (tries are rate-limited)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from core.models import AuditEntry, Role
from core.terminals import COOKIE, terminal_binding
from devices.models import PrintJob
from devices.services import print_job_send
from pos.models import TerminalPairingCode
from tests.devices.conftest import TcpListener
from tests.factories.core import PropertyFactory, make_staff
from tests.factories.devices import PrinterFactory
from tests.factories.pos import make_terminal

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def listener():
    server = TcpListener()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def test_the_test_page_goes_through_the_print_queue_to_the_outlets_printer(
    hotel, manager, terminal, listener
):
    printer = PrinterFactory(
        property=hotel, code="salle", name="Salle", host="127.0.0.1", port=listener.port
    )
    terminal.printer = printer
    terminal.save()
    boss = signed_in(manager)
    page = boss.get("/manage/outlets/").content.decode()
    assert terminal.name in page and "Print a test page" in page
    done = boss.post("/manage/outlets/", {"action": "test", "id": printer.pk}, follow=True)
    assert "Test page sent to Salle" in done.content.decode()
    job = PrintJob.objects.get(printer=printer, kind=PrintJob.Kind.TEST)
    print_job_send(print_job_id=job.pk)
    listener.wait_for(1)
    assert f"127.0.0.1:{listener.port}".encode() in listener.received
    assert AuditEntry.objects.filter(action="devices.printer.test_page").exists()


def test_a_printer_of_another_property_is_not_found(hotel, manager):
    other = PrinterFactory(property=PropertyFactory(slug="autre"), code="x", name="X")
    response = signed_in(manager).post("/manage/outlets/", {"action": "test", "id": other.pk})
    assert response.status_code == 404 and not PrintJob.objects.exists()


def test_a_waiter_cannot_open_the_outlets_screen(hotel, waiter):
    assert signed_in(waiter).get("/manage/outlets/").status_code in (302, 403)


def test_a_code_shown_to_the_manager_binds_the_new_tablet_once(hotel, manager, waiter):
    till = make_terminal(hotel, outlet_code="restaurant", outlet_name="Restaurant", name="Salle 2")
    boss = signed_in(manager)
    boss.post("/manage/outlets/", {"action": "pair", "id": till.pk})
    code = TerminalPairingCode.objects.get(terminal=till)
    assert code.expires_at - code.created_at == timedelta(minutes=10)
    assert code.code in boss.get("/manage/outlets/").content.decode()
    tablet = signed_in(waiter)
    assert "Pair this tablet" in tablet.get("/pos/pair/").content.decode()
    response = tablet.post("/pos/pair/", {"code": code.code})
    assert response.status_code == 302 and response["Location"] == "/pos/tables/"
    binding = terminal_binding(type("R", (), {"COOKIES": {COOKIE: response.cookies[COOKIE].value}}))
    assert binding["terminal_id"] == till.pk and binding["outlet_id"] == till.outlet_id
    # single use: a second tablet typing it is refused
    again = signed_in(make_staff(hotel, Role.WAITER, username="w3")).post(
        "/pos/pair/", {"code": code.code}
    )
    assert again.status_code == 422 and "wrong or has expired" in again.content.decode()
    assert COOKIE not in again.cookies


def test_an_expired_code_or_one_of_another_property_binds_nothing(hotel, manager, waiter):
    till = make_terminal(hotel, name="Caisse 9")
    signed_in(manager).post("/manage/outlets/", {"action": "pair", "id": till.pk})
    code = TerminalPairingCode.objects.get(terminal=till)
    TerminalPairingCode.objects.filter(pk=code.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = signed_in(waiter).post("/pos/pair/", {"code": code.code})
    assert response.status_code == 422 and COOKIE not in response.cookies
    gite = PropertyFactory(slug="gite")
    stranger = make_staff(gite, Role.WAITER, username="gite-waiter")
    TerminalPairingCode.objects.filter(pk=code.pk).update(
        expires_at=code.created_at + timedelta(minutes=10)
    )
    response = signed_in(stranger).post("/pos/pair/", {"code": code.code})
    assert response.status_code == 422 and COOKIE not in response.cookies


def test_guessing_codes_is_stopped_after_five_tries(hotel, manager, waiter):
    till = make_terminal(hotel, name="Caisse 8")
    signed_in(manager).post("/manage/outlets/", {"action": "pair", "id": till.pk})
    code = TerminalPairingCode.objects.get(terminal=till).code
    tablet = signed_in(waiter)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert tablet.post("/pos/pair/", {"code": wrong}).status_code == 422
    # even the right code now waits: the tries are over the limit
    blocked = tablet.post("/pos/pair/", {"code": code})
    assert blocked.status_code == 422 and "Too many tries" in blocked.content.decode()
    assert TerminalPairingCode.objects.get(code=code).used_at is None


def device_code(page: str) -> str:
    """The code a tablet's /pos/pair/ page shows (as "482 913")."""
    import re

    found = re.search(r'data-testid="device-code"[^>]*>(\d{3}) (\d{3})<', page)
    assert found, "no code on the tablet's page"
    return found.group(1) + found.group(2)


def test_the_code_a_tablet_shows_is_bound_by_the_manager_and_collected_once(hotel, manager, waiter):
    till = make_terminal(hotel, outlet_code="bar", outlet_name="Bar", name="Comptoir")
    tablet = signed_in(waiter)
    page = tablet.get("/pos/pair/").content.decode()
    code = device_code(page)
    assert "<svg" in page and f"/manage/outlets/?device_code={code}" in page  # the QR's address
    assert device_code(tablet.get("/pos/pair/").content.decode()) == code  # same until used
    waiting = tablet.get("/pos/pair/status/", HTTP_ACCEPT="application/json")
    assert waiting.json() == {"state": "waiting"} and COOKIE not in waiting.cookies

    boss = signed_in(manager)
    scanned = boss.get(f"/manage/outlets/?device_code={code}").content.decode()
    assert f'value="{code}"' in scanned  # the QR opens the form with the code filled in
    done = boss.post(
        "/manage/outlets/",
        {"action": "bind_device", "code": f"{code[:3]} {code[3:]}", "id": till.pk},
        follow=True,
    )
    assert "is now Bar · Comptoir" in done.content.decode()

    paired = tablet.get("/pos/pair/status/", HTTP_ACCEPT="application/json")
    assert paired.json() == {"state": "paired", "next": "/pos/tables/"}
    binding = terminal_binding(type("R", (), {"COOKIES": {COOKIE: paired.cookies[COOKIE].value}}))
    assert binding["terminal_id"] == till.pk and binding["outlet_id"] == till.outlet_id
    assert AuditEntry.objects.filter(action="pos.terminal.bound", target_id=str(till.pk)).exists()
    # collected once; the code binds once
    tablet.cookies.pop(COOKIE, None)
    again = tablet.get("/pos/pair/status/", HTTP_ACCEPT="application/json")
    assert COOKIE not in again.cookies
    other = make_terminal(hotel, outlet_code="bar", outlet_name="Bar", name="Terrasse")
    refused = boss.post(
        "/manage/outlets/", {"action": "bind_device", "code": code, "id": other.pk}, follow=True
    )
    assert "wrong or has expired" in refused.content.decode()


def test_an_expired_or_foreign_device_code_binds_nothing(hotel, manager, waiter):
    from pos.models import DevicePairing

    till = make_terminal(hotel, name="Caisse 7")
    tablet = signed_in(waiter)
    code = device_code(tablet.get("/pos/pair/").content.decode())
    boss = signed_in(manager)
    # another property's manager, even with one of his terminals, cannot reach it
    gite = PropertyFactory(slug="gite")
    gite_till = make_terminal(gite, name="Gîte")
    stranger = signed_in(make_staff(gite, Role.MANAGER, username="gite-boss", pin="777777"))
    response = stranger.post(
        "/manage/outlets/", {"action": "bind_device", "code": code, "id": gite_till.pk}, follow=True
    )
    assert "wrong or has expired" in response.content.decode()
    assert (
        stranger.post(
            "/manage/outlets/", {"action": "bind_device", "code": code, "id": till.pk}
        ).status_code
        == 404
    )
    DevicePairing.objects.filter(code=code).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = boss.post(
        "/manage/outlets/", {"action": "bind_device", "code": code, "id": till.pk}, follow=True
    )
    assert "wrong or has expired" in response.content.decode()
    assert DevicePairing.objects.get(code=code).terminal_id is None
    expired = tablet.get("/pos/pair/status/", HTTP_ACCEPT="application/json")
    assert expired.json() == {"state": "expired"}
    tablet.get("/pos/pair/")  # the page shows a new code
    assert DevicePairing.objects.count() == 2
