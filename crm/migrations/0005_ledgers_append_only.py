"""On PostgreSQL, gift-card and loyalty movements cannot be updated or deleted: a ledger
is corrected by a new movement. SQLite relies on the services."""

from django.db import migrations

TABLES = ["crm_giftcardmovement", "crm_loyaltymovement"]

FUNCTION = """
CREATE OR REPLACE FUNCTION crm_refuse_ledger_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger % is append-only: % refused', TG_TABLE_NAME, TG_OP
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
            f"FOR EACH ROW EXECUTE FUNCTION crm_refuse_ledger_change();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS crm_refuse_ledger_change();")


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_gift_cards_loyalty")]
    operations = [migrations.RunPython(forwards, backwards)]
