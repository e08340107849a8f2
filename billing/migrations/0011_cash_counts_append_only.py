"""Cash counts are insert-only on PostgreSQL (a recount is a new row), like 0005 and 0007."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE TRIGGER billing_cashcount_append_only BEFORE UPDATE OR DELETE ON billing_cashcount "
        "FOR EACH ROW EXECUTE FUNCTION auberge_refuse_change();"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS billing_cashcount_append_only ON billing_cashcount;")


class Migration(migrations.Migration):
    dependencies = [("billing", "0010_cash_counts")]
    operations = [migrations.RunPython(forwards, backwards)]
