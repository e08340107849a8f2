"""A sale writes three index entries less (issue 28): tickets, payments and journal entries keep
no index of their own on ``property``; their composite indexes lead with it ((property, number),
(property, business_date), (property, business_date, method), (property, chain, sequence)).
Index changes only: the tables, and their append-only triggers, are never rebuilt."""

import django.db.models.deletion
from django.db import migrations, models

from core.migration_ops import drop_field_indexes


def _property(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name=related_name,
        to="core.property",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0022_merge_20261203_1117"),
        ("core", "0010_auditentry_fewer_indexes"),
    ]

    operations = [
        *drop_field_indexes("billing", "journalentry", "property", _property("+")),
        *drop_field_indexes("billing", "payment", "property", _property("payments")),
        *drop_field_indexes("billing", "ticket", "property", _property("tickets")),
    ]
