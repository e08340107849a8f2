"""On PostgreSQL, fiscal rows cannot be updated or deleted, whoever connects (append-only
fiscal records, docs/architecture.md). A correction is a new document. SQLite relies on the services."""

from django.db import migrations

TABLES = ["billing_journalentry", "billing_closure", "billing_ticket", "billing_ticketline",
          "billing_ticketvat", "billing_payment", "billing_folioline"]

FUNCTION = """
CREATE OR REPLACE FUNCTION auberge_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'fiscal record % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
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
    schema_editor.execute("DROP FUNCTION IF EXISTS auberge_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_fiscal_journal")]
    operations = [migrations.RunPython(forwards, backwards)]
