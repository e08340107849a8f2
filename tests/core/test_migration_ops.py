"""Issue 28's index-only migrations: a sale's rows lose their redundant indexes without the
tables being rebuilt (on SQLite a rebuild would lose the journal head's trigger), and the
migrations undo to the very indexes Django had made."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

PARENTS = [
    ("billing", "0022_merge_20261203_1117"),
    ("inventory", "0014_merge_20261203_1110"),
    ("core", "0009_property_hours_invoice_footer"),
]
TABLES = {
    "core_auditentry": ["action", "property_id"],
    "billing_ticket": ["property_id"],
    "billing_payment": ["property_id"],
    "billing_journalentry": ["property_id"],
    "inventory_capacityallocation": ["reference"],
    "inventory_stockmovement": ["location_id", "property_id"],
}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def single_column_indexes():
    """{(table, column): sorted index names} for the columns these migrations touch."""
    found = {}
    with connection.cursor() as cursor:
        for table, columns in TABLES.items():
            constraints = connection.introspection.get_constraints(cursor, table)
            for column in columns:
                found[(table, column)] = sorted(
                    name
                    for name, info in constraints.items()
                    if info["index"] and not info["unique"] and info["columns"] == [column]
                )
    return found


def triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT DISTINCT trigger_name FROM information_schema.triggers"
                " WHERE event_object_schema = current_schema()"
            )
        return sorted(row[0] for row in cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_the_redundant_indexes_go_and_come_back_without_rebuilding_a_table(hotel):
    after = single_column_indexes()
    triggers_after = triggers()
    assert after[("core_auditentry", "action")] == ["audit_entry_action"]
    assert after[("inventory_capacityallocation", "reference")] == ["capacity_alloc_reference"]
    for key in [k for k in after if k[1].endswith("_id")]:
        assert after[key] == [], key

    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        migrate(PARENTS)
        before = single_column_indexes()
        # the indexes Django makes for db_index fields, under its own names (on PostgreSQL a
        # text column has its LIKE twin)
        for (table, column), names in before.items():
            assert names and all(n.startswith(f"{table}_{column}_") for n in names), names
        like = 2 if connection.vendor == "postgresql" else 1
        assert len(before[("core_auditentry", "action")]) == like
        assert len(before[("inventory_capacityallocation", "reference")]) == like
        assert triggers() == triggers_after
    finally:
        migrate(latest)

    assert single_column_indexes() == after
    # the journal head still follows its entries (the trigger a SQLite rebuild would drop)
    assert triggers() == triggers_after
    assert any("journalentry" in name for name in triggers_after)
