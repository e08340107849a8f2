"""The application's database role cannot change a fiscal row, nor switch the triggers off."""

import os
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.test import override_settings

from billing.models import JournalEntry, Ticket
from billing.services.payments import TenderInput
from billing.services.verification import property_verify
from core.models import Role
from pos.services.checkout import order_checkout
from tests.factories.pos import make_terminal
from tests.pos.helpers import line

ROLE = f"auberge_app_test_{os.getpid()}"


def reconnect_as(user):
    connection.close()
    connection.settings_dict["USER"] = user


@pytest.fixture
def app_role():
    owner = connection.settings_dict["USER"]
    yield ROLE
    reconnect_as(owner)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [ROLE])
        if cursor.fetchone():
            cursor.execute(f'DROP OWNED BY "{ROLE}"')
            cursor.execute(f'DROP ROLE "{ROLE}"')


@pytest.mark.django_db(transaction=True)
def test_migrate_as_owner_grants_an_app_role_that_sells_but_cannot_rewrite(
    hotel, catalog, product, staff_of, app_role, capsys
):
    cashier = staff_of(hotel, Role.CASHIER, username="nora")
    terminal = make_terminal(hotel)
    item = product("cafe")
    owner = connection.settings_dict["USER"]
    database = connection.settings_dict["NAME"]
    migrate_url = f"postgres://{owner}@127.0.0.1:5432/{database}"

    reconnect_as(app_role)  # what DATABASE_URL names
    with override_settings(DATABASE_MIGRATE_URL=migrate_url):
        call_command("migrate", verbosity=1)
    out = capsys.readouterr().out
    assert f"Created the application role {app_role}" in out
    assert "fiscal tables insert-only" in out
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app_role  # back on the application's role

    # the whole sale runs as the application role
    order = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(item, "2")],
        tenders=[TenderInput(method="cash", amount=item.price * 2)],
    )
    assert order.ticket.total == Decimal("5.00")

    attacks = [
        ("UPDATE billing_ticket SET total = 1 WHERE id = %s", [order.ticket.pk]),
        ("DELETE FROM billing_payment WHERE ticket_id = %s", [order.ticket.pk]),
        ("UPDATE billing_journalentry SET gross = 1", []),
        ("DELETE FROM billing_closure", []),
        ("TRUNCATE billing_journalentry CASCADE", []),
        ("ALTER TABLE billing_ticket DISABLE TRIGGER ALL", []),
        ("ALTER TABLE billing_journalentry DISABLE TRIGGER USER", []),
        ("SET session_replication_role = replica", []),
        ("DROP TRIGGER billing_ticket_append_only ON billing_ticket", []),
        ("INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())", []),
    ]
    for statement, params in attacks:
        with pytest.raises(ProgrammingError, match="permission denied|must be owner"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, params)

    assert Ticket.objects.get(pk=order.ticket.pk).total == Decimal("5.00")
    assert JournalEntry.objects.filter(property=hotel, chain="fiscal").count() == 1
    assert property_verify(property=hotel).ok
