"""Every sale reads its terminal (outlet, printer, cash drawer): it comes from the shared
cache, and any change to the set-up is seen by the very next sale."""

import pytest

from devices.models import CashDrawer, Printer
from pos.selectors import terminal_get

pytestmark = pytest.mark.django_db


def test_the_second_read_costs_no_query(hotel, terminal, django_assert_num_queries):
    # the API finds it by public id, the bound tablet by pk: each is read once
    assert terminal_get(property=hotel, pk=terminal.pk) is not None
    assert terminal_get(property=hotel, public_id=terminal.public_id) is not None
    with django_assert_num_queries(0):
        cached = terminal_get(property=hotel, public_id=terminal.public_id)
        again = terminal_get(property=hotel, pk=terminal.pk)
    assert cached.pk == again.pk == terminal.pk
    assert again.outlet.name == terminal.outlet.name and again.property is hotel


def test_a_terminal_switched_off_is_refused_at_once(hotel, terminal):
    assert terminal_get(property=hotel, pk=terminal.pk) is not None
    terminal.is_active = False
    terminal.save()
    assert terminal_get(property=hotel, pk=terminal.pk) is None
    assert terminal_get(property=hotel, public_id=terminal.public_id) is None


def test_a_printer_and_its_drawer_are_seen_by_the_next_sale(hotel, terminal):
    assert terminal_get(property=hotel, pk=terminal.pk).printer is None
    printer = Printer.objects.create(
        property=hotel, code="bar", name="Bar", connection="file", file_path="/dev/null"
    )
    terminal.printer = printer
    terminal.save()
    seen = terminal_get(property=hotel, pk=terminal.pk)
    assert seen.printer.pk == printer.pk and seen.printer.property is hotel
    assert not hasattr(seen.printer, "cash_drawer")
    CashDrawer.objects.create(property=hotel, printer=printer, name="Tiroir bar")
    assert terminal_get(property=hotel, pk=terminal.pk).printer.cash_drawer.name == "Tiroir bar"


def test_another_propertys_terminal_is_never_returned(hotel, other_hotel, terminal):
    assert terminal_get(property=hotel, pk=terminal.pk) is not None
    assert terminal_get(property=other_hotel, pk=terminal.pk) is None


def test_a_terminal_moved_to_another_property_leaves_the_first_at_once(hotel, other_hotel,
                                                                       terminal):  # fmt: skip
    from pos.models import Outlet

    assert terminal_get(property=hotel, pk=terminal.pk) is not None
    outlet = Outlet.objects.create(property=other_hotel, code="bar", name="Bar")
    terminal.property = other_hotel
    terminal.outlet = outlet
    terminal.save()
    assert terminal_get(property=hotel, pk=terminal.pk) is None
    assert terminal_get(property=other_hotel, pk=terminal.pk).outlet == outlet
