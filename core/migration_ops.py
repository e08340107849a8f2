"""Migration operations that change an index without touching its table.

Django's ``AlterField`` from ``db_index=True`` to ``False`` rebuilds the whole table on SQLite
(a copy, a drop and a rename), and the rebuild loses the append-only triggers our fiscal tables
carry (see ``docs/architecture.md``, "Append-only records"). ``drop_field_indexes`` drops the
field's own indexes with ``DROP INDEX`` on both engines and changes only the migration state.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def _single_column_indexes(schema_editor: BaseDatabaseSchemaEditor, table: str, column: str):
    """Names of the plain (non-unique) indexes on exactly this one column: on PostgreSQL a
    ``db_index`` text column has two, the btree and its ``_like`` twin."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return sorted(
        name
        for name, info in constraints.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] == [column]
    )


def drop_field_indexes(app_label: str, model_name: str, field_name: str, field: Any) -> list[Any]:
    """Operations that drop the field's own indexes and give it ``field`` (its definition
    without ``db_index``) in the state; reversed, they recreate the indexes Django makes for a
    ``db_index`` field, under the same names."""

    def forward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        column = model._meta.get_field(field_name).column
        for index in _single_column_indexes(schema_editor, model._meta.db_table, column):
            schema_editor.execute(schema_editor._delete_index_sql(model, index))

    def backward(apps, schema_editor):
        # the state around this operation is the one before the migration: db_index=True
        model = apps.get_model(app_label, model_name)
        for statement in schema_editor._field_indexes_sql(model, model._meta.get_field(field_name)):
            schema_editor.execute(statement)

    return [
        migrations.RunPython(forward, backward, elidable=False),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name=model_name, name=field_name, field=field)
            ]
        ),
    ]
