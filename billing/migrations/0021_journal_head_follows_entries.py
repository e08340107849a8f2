"""The journal head names its last entry's hash, set by the database as the entry is
inserted: an append is then one `UPDATE … RETURNING` of the head (sequence, perpetual totals,
and the previous hash, which that UPDATE leaves as it is) and one INSERT of the entry
(billing.lock_objects.journal_head_advance). On PostgreSQL and SQLite alike."""

from django.db import migrations

FOLLOW = (
    "UPDATE billing_journalhead SET last_hash = NEW.hash WHERE property_id = NEW.property_id"
    " AND chain = NEW.chain AND last_sequence = NEW.sequence;"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION auberge_journal_head_follows() RETURNS trigger AS $$ "
            f"BEGIN {FOLLOW} RETURN NULL; END; $$ LANGUAGE plpgsql;"
        )
        schema_editor.execute(
            "CREATE TRIGGER billing_journalentry_head_follows AFTER INSERT ON billing_journalentry"
            " FOR EACH ROW EXECUTE FUNCTION auberge_journal_head_follows();"
        )
    else:
        schema_editor.execute(
            "CREATE TRIGGER billing_journalentry_head_follows AFTER INSERT ON billing_journalentry"
            f" BEGIN {FOLLOW} END;"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS billing_journalentry_head_follows ON billing_journalentry;"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS auberge_journal_head_follows();")
    else:
        schema_editor.execute("DROP TRIGGER IF EXISTS billing_journalentry_head_follows;")


class Migration(migrations.Migration):
    dependencies = [("billing", "0020_ticket_credits")]
    operations = [migrations.RunPython(forwards, backwards)]
