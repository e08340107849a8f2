"""Issued invoices and credit notes are insert-only on PostgreSQL, like the other fiscal rows
(0005): a correction is a credit note, never an UPDATE or a DELETE."""

from django.db import migrations

TABLES = ["billing_invoice", "billing_invoiceline", "billing_invoicevat"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION auberge_refuse_change();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_invoices")]
    operations = [migrations.RunPython(forwards, backwards)]
