"""The confirmation e-mail's booking lines moved from {payment} to their own {summary}: a
property's own wording keeps showing them (they are inserted before its {payment})."""

from django.db import migrations

PAYMENT = "{payment}"
BOTH = "{summary}\n\n{payment}"


def forwards(apps, schema_editor):
    Template = apps.get_model("pms", "GuestEmailTemplate")
    for row in Template.objects.filter(kind="confirmation", body__contains=PAYMENT).exclude(
        body__contains="{summary}"
    ):
        row.body = row.body.replace(PAYMENT, BOTH, 1)
        row.save(update_fields=["body"])


def backwards(apps, schema_editor):
    """{summary} back into {payment} (the old e-mail printed the lines there)."""
    Template = apps.get_model("pms", "GuestEmailTemplate")
    for row in Template.objects.filter(kind="confirmation", body__contains="{summary}"):
        body = row.body.replace(BOTH, PAYMENT)
        body = body.replace("{summary}", "" if PAYMENT in body else PAYMENT)
        row.body = body
        row.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [("pms", "0007_reservation_group_name_index")]

    operations = [migrations.RunPython(forwards, backwards)]
