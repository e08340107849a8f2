"""Terminals, printers and the stations' printers created and changed on the manager's
outlets screen (issue 21), and the test page of a printer made there reaching a network
printer (the ESC/POS listener on 127.0.0.1); bad input says why and saves nothing; another
property's rows are a 404."""

import pytest
from django.test import Client

from core.models import AuditEntry, Role
from devices.models import Printer, PrintJob
from devices.services import print_job_send
from pos.models import StationPrinter, Terminal
from tests.devices.conftest import TcpListener
from tests.factories.core import PropertyFactory, make_staff
from tests.factories.pos import make_terminal

pytestmark = pytest.mark.django_db


def signed_in(user, language="en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def listener():
    server = TcpListener()
    yield server
    server.close()


def printer_form(**fields) -> dict:
    return {
        "code": "cuisine",
        "name": "Cuisine",
        "connection": "network",
        "host": "127.0.0.1",
        "port": "9100",
        "serial_baudrate": "9600",
        "paper_width": "80",
        "code_page": "CP858",
        "escpos_profile": "default",
        "is_active": "on",
        **fields,
    }


def test_a_printer_a_terminal_and_the_kitchen_station_set_up_on_screen_print_a_test_page(
    hotel, manager, listener
):
    make_terminal(hotel, outlet_code="restaurant", outlet_name="Restaurant", name="Salle")
    boss = signed_in(manager)
    assert boss.get("/manage/outlets/printers/new/").status_code == 200
    response = boss.post("/manage/outlets/printers/new/", printer_form(port=str(listener.port)))
    assert response.status_code == 302
    printer = Printer.objects.get(property=hotel, code="cuisine")
    assert (printer.host, printer.port) == ("127.0.0.1", listener.port)

    outlet = Terminal.objects.get(name="Salle").outlet
    response = boss.post(
        "/manage/outlets/terminals/new/",
        {"name": "Passe", "outlet": outlet.pk, "printer": printer.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    passe = Terminal.objects.get(property=hotel, name="Passe")
    assert passe.printer_id == printer.pk and passe.is_active

    boss.post("/manage/outlets/stations/", {"station": "kitchen", "printer": printer.pk})
    assert StationPrinter.objects.get(property=hotel, station="kitchen").printer_id == printer.pk
    page = boss.get("/manage/outlets/").content.decode()
    assert "Passe" in page and "selected>Cuisine" in page

    done = boss.post("/manage/outlets/", {"action": "test", "id": printer.pk}, follow=True)
    assert "Test page sent to Cuisine" in done.content.decode()
    print_job_send(print_job_id=PrintJob.objects.get(printer=printer, kind="test").pk)
    listener.wait_for(1)
    assert b"Cuisine" in listener.received

    # changed: renamed and taken out of use; the kitchen back to its display only
    boss.post(
        f"/manage/outlets/terminals/{passe.pk}/",
        {"name": "Passe chaude", "outlet": outlet.pk, "printer": ""},
    )
    passe.refresh_from_db()
    assert (passe.name, passe.printer_id, passe.is_active) == ("Passe chaude", None, False)
    boss.post("/manage/outlets/stations/", {"station": "kitchen", "printer": ""})
    assert not StationPrinter.objects.filter(property=hotel).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "devices.printer.created",
        "pos.terminal.created",
        "pos.terminal.changed",
        "pos.station_printer.changed",
    } <= actions
    change = AuditEntry.objects.get(action="pos.terminal.changed")
    assert change.data["before"]["name"] == "Passe" and change.data["after"]["is_active"] is False


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"host": ""}, "Hôte: Obligatoire pour cette connexion."),
        ({"port": "70000"}, "inférieure ou égale à 65535"),
        ({"connection": "usb"}, "Identifiant fabricant USB: Obligatoire pour cette connexion."),
    ],
    ids=["network-without-host", "port", "usb-without-ids"],
)
def test_a_bad_printer_is_refused_in_french_and_nothing_saved(hotel, manager, fields, message):
    response = signed_in(manager, "fr").post(
        "/manage/outlets/printers/new/", printer_form(**fields)
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="form-error"' in html
    assert message in html
    assert not Printer.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="devices.printer").exists()


def test_a_duplicate_printer_code_or_a_terminal_without_name_is_refused(hotel, manager):
    boss = signed_in(manager)
    boss.post("/manage/outlets/printers/new/", printer_form())
    again = boss.post("/manage/outlets/printers/new/", printer_form(name="Autre"))
    assert again.status_code == 422 and Printer.objects.count() == 1
    till = make_terminal(hotel)
    response = boss.post(
        f"/manage/outlets/terminals/{till.pk}/", {"name": " ", "outlet": till.outlet_id}
    )
    assert response.status_code == 422
    till.refresh_from_db()
    assert till.name == "Caisse 1"


def test_another_propertys_printers_and_terminals_are_a_404(hotel, manager):
    boss = signed_in(manager)
    boss.post("/manage/outlets/printers/new/", printer_form())
    printer = Printer.objects.get()
    till = make_terminal(hotel)
    gite = PropertyFactory(slug="gite")
    stranger = signed_in(make_staff(gite, Role.MANAGER, username="gite-boss", pin="777777"))
    assert stranger.get(f"/manage/outlets/printers/{printer.pk}/").status_code == 404
    assert (
        stranger.post(
            f"/manage/outlets/printers/{printer.pk}/", printer_form(name="Volée")
        ).status_code
        == 404
    )
    assert stranger.get(f"/manage/outlets/terminals/{till.pk}/").status_code == 404
    gite_till = make_terminal(gite, name="Gîte")
    # the gîte's terminal cannot be given the hotel's outlet or printer
    response = stranger.post(
        f"/manage/outlets/terminals/{gite_till.pk}/",
        {"name": "Gîte", "outlet": till.outlet_id, "printer": printer.pk},
    )
    assert response.status_code == 422
    assert (
        stranger.post(
            "/manage/outlets/stations/", {"station": "kitchen", "printer": printer.pk}
        ).status_code
        == 404
    )
    printer.refresh_from_db()
    assert printer.name == "Cuisine" and not StationPrinter.objects.exists()


def test_an_outlet_is_created_and_changed_on_screen_and_a_used_code_refused(hotel, manager):
    from pos.models import Outlet

    boss = signed_in(manager)
    response = boss.post(
        "/manage/outlets/new/", {"code": "spa", "name": "Spa", "kind": "spa", "is_active": "on"}
    )
    assert response.status_code == 302
    spa = Outlet.objects.get(property=hotel, code="spa")
    assert f'data-testid="outlet-edit-{spa.pk}"' in boss.get("/manage/outlets/").content.decode()
    boss.post(
        f"/manage/outlets/{spa.pk}/", {"code": "spa", "name": "Spa & bien-être", "kind": "spa"}
    )
    spa.refresh_from_db()
    assert (spa.name, spa.is_active) == ("Spa & bien-être", False)
    again = signed_in(manager, "fr").post(
        "/manage/outlets/new/", {"code": "spa", "name": "Autre", "kind": "bar"}
    )
    assert again.status_code == 422 and "Ce code est déjà utilisé." in again.content.decode()
    assert Outlet.objects.filter(property=hotel).count() == 1
    assert {"pos.outlet.created", "pos.outlet.changed"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )
    gite = PropertyFactory(slug="gite")
    stranger = signed_in(make_staff(gite, Role.MANAGER, username="gite-boss", pin="777777"))
    assert stranger.get(f"/manage/outlets/{spa.pk}/").status_code == 404
    assert (
        stranger.post(
            f"/manage/outlets/{spa.pk}/", {"code": "x", "name": "x", "kind": "bar"}
        ).status_code
        == 404
    )
