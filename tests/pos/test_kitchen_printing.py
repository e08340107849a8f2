"""Sending a table prints one kitchen ticket per station that has a printer, after commit,
in large type; sending again prints nothing new."""

from decimal import Decimal

import pytest

from devices.models import Printer, PrintJob
from devices.services import print_job_send
from pos.models import StationPrinter, Table
from pos.services.tables import tab_add_line, tab_send, table_open
from tests.pos.helpers import required_modifier_ids


def rare_of(hotel) -> int:
    """The steak's cooking is a required choice: the tests pick "rare"."""
    from inventory.models import Modifier

    return Modifier.objects.get(group__property=hotel, name_en="Rare").pk


pytestmark = pytest.mark.django_db


@pytest.fixture
def kitchen_printer(hotel, tmp_path):
    printer = Printer.objects.create(
        property=hotel,
        code="cuisine",
        name="Cuisine",
        connection="file",
        file_path=str(tmp_path / "k.bin"),
    )
    StationPrinter.objects.create(property=hotel, station="kitchen", printer=printer)
    return printer


def test_send_prints_the_kitchen_station_ticket_once(
    hotel, catalog, product, terminal, cashier, kitchen_printer, tmp_path
):
    table = Table.objects.create(property=hotel, outlet=terminal.outlet, label="5", seats=4)
    tab = table_open(table=table, covers=3, actor=cashier)
    tab_add_line(
        tab=tab,
        product=product("entrecote"),
        actor=cashier,
        quantity=Decimal("2"),
        note="sans sel",
        modifier_ids=required_modifier_ids(product("entrecote")),
    )
    # the waiter is on the mains (the rib-eye's own course): the spritz goes with it
    tab_add_line(tab=tab, product=product("spritz"), actor=cashier, course=2)  # bar: no printer
    tickets = tab_send(tab=tab, actor=cashier)
    assert len(tickets) == 2
    job = PrintJob.objects.get()
    assert (job.kind, job.printer) == ("kitchen", kitchen_printer)
    assert job.document["table"] == "5" and job.document["covers"] == 3
    print_job_send(print_job_id=job.pk)
    data = (tmp_path / "k.bin").read_bytes()
    steak = tab.lines.get(product=product("entrecote")).description  # in the active language
    assert steak.split()[0].encode("cp858") in data  # large type wraps long names
    assert b"sans sel" in data
    assert b"\x1b!0" in data  # ESC ! 0x30: double width and height, the large type
    assert tab_send(tab=tab, actor=cashier) == []
    assert PrintJob.objects.count() == 1


def test_a_send_to_two_stations_writes_both_jobs_and_publishes_one_message(
    hotel, catalog, product, terminal, cashier, kitchen_printer, django_capture_on_commit_callbacks
):
    from unittest.mock import patch

    from devices.tasks import print_job_send_task, print_jobs_relay_task

    bar_printer = Printer.objects.create(
        property=hotel, code="bar", name="Bar", connection="file", file_path="/dev/null"
    )
    StationPrinter.objects.create(property=hotel, station="bar", printer=bar_printer)
    table = Table.objects.create(property=hotel, outlet=terminal.outlet, label="5", seats=4)
    tab = table_open(table=table, covers=2, actor=cashier)
    tab_add_line(
        tab=tab,
        product=product("entrecote"),
        actor=cashier,
        modifier_ids=required_modifier_ids(product("entrecote")),
    )
    tab_add_line(tab=tab, product=product("spritz"), actor=cashier, course=2)
    with patch.object(print_jobs_relay_task, "delay") as relay:
        with django_capture_on_commit_callbacks(execute=True):
            tab_send(tab=tab, actor=cashier)
    jobs = {job.printer_id: job for job in PrintJob.objects.all()}
    assert set(jobs) == {kitchen_printer.pk, bar_printer.pk}
    assert {job.status for job in jobs.values()} == {PrintJob.Status.QUEUED}
    relay.assert_called_once_with(print_job_ids=sorted(job.pk for job in jobs.values()))
    # the worker hands each job its own send task (and retries)
    with patch.object(print_job_send_task, "delay") as send:
        print_jobs_relay_task.run(print_job_ids=relay.call_args.kwargs["print_job_ids"])
    assert sorted(c.kwargs["print_job_id"] for c in send.call_args_list) == sorted(
        job.pk for job in jobs.values()
    )
