"""On PostgreSQL the database itself refuses two live assignments of one room that overlap
(room assignments never overlap: docs/architecture.md). SQLite relies on the same check in the service."""

from django.db import migrations

ADD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE pms_roomassignment ADD CONSTRAINT room_assignment_no_overlap
  EXCLUDE USING gist (room_id WITH =, daterange("start", "end", '[)') WITH &&)
  WHERE (released_at IS NULL);
"""
DROP = "ALTER TABLE pms_roomassignment DROP CONSTRAINT IF EXISTS room_assignment_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("pms", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
