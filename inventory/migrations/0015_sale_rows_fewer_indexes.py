"""A sale writes three index entries less (issue 28): a capacity allocation's ``reference`` gets
one plain index instead of PostgreSQL's pair (looked up by equality only), and a stock movement
keeps no index of its own on ``property`` or ``location`` (stock_move_prop_time and
stock_move_loc_time lead with them). Index changes only: no table is rebuilt."""

import django.db.models.deletion
from django.db import migrations, models

from core.migration_ops import drop_field_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0010_auditentry_fewer_indexes"),
        ("inventory", "0014_merge_20261203_1110"),
    ]

    operations = [
        *drop_field_indexes(
            "inventory", "capacityallocation", "reference", models.CharField(max_length=100)
        ),
        *drop_field_indexes(
            "inventory",
            "stockmovement",
            "location",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="inventory.stocklocation",
            ),
        ),
        *drop_field_indexes(
            "inventory",
            "stockmovement",
            "property",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.property",
            ),
        ),
        migrations.AddIndex(
            model_name="capacityallocation",
            index=models.Index(fields=["reference"], name="capacity_alloc_reference"),
        ),
    ]
