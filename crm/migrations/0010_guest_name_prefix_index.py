"""The reservation desk searches guests by the start of their name, case folded
(`last_name__istartswith`: `UPPER(last_name::text) LIKE 'MART%'`). On PostgreSQL a
text_pattern_ops index on that expression serves it; SQLite (make run) scans its small table."""

from django.db import migrations

INDEX = "crm_guest_org_upper_last_name_like"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON crm_guest "
            "(organization_id, UPPER(last_name::text) text_pattern_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_gift_card_cancel")]

    operations = [migrations.RunPython(forwards, backwards)]
