"""The desk's search by the start of a group's name (`group_name__istartswith`) meets an
index on PostgreSQL: a partial one, since most reservations have no group. SQLite (make run)
scans its small table."""

from django.db import migrations

INDEX = "pms_reservation_group_name_like"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON pms_reservation "
            "(property_id, UPPER(group_name::text) text_pattern_ops) WHERE group_name <> ''"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("pms", "0006_merge_20261202_2040")]

    operations = [migrations.RunPython(forwards, backwards)]
