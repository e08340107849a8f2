"""Rebuild reporting's derived daily facts from the documents (all properties, or one)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.models import Property
from reporting.facts import facts_rebuild
from reporting.models import FactsWatermark


class Command(BaseCommand):
    help = "Rebuild the derived daily facts of reporting from the documents."

    def add_arguments(self, parser):
        parser.add_argument("--property", help="the property's slug (default: every property)")

    def handle(self, *args, **options):
        properties = Property.objects.order_by("pk")
        if options["property"]:
            properties = properties.filter(slug=options["property"])
            if not properties.exists():
                raise CommandError(f"No property with the slug {options['property']!r}.")
        for prop in properties:
            started = time.perf_counter()
            now = timezone.now()
            days = facts_rebuild(property=prop)
            FactsWatermark.objects.update_or_create(property=prop, defaults={"refreshed_at": now})
            self.stdout.write(
                f"{prop.slug}: {days} days rebuilt in {time.perf_counter() - started:.1f} s"
            )
