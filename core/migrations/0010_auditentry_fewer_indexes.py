"""An audit entry writes two index entries less (issue 28): no index of its own on ``property``
((property, created_at) leads with it) and one plain index on ``action`` instead of PostgreSQL's
pair (the ``_like`` twin serves LIKE, which no screen asks). Index changes only: the table is
never rebuilt (see ``core.migration_ops``)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_ops import drop_field_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_property_hours_invoice_footer"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *drop_field_indexes("core", "auditentry", "action", models.CharField(max_length=100)),
        *drop_field_indexes(
            "core",
            "auditentry",
            "property",
            models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audit_entries",
                to="core.property",
            ),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["action"], name="audit_entry_action"),
        ),
    ]
