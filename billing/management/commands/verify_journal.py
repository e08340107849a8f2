"""Verify every property's fiscal record: chains, sealed documents, numbering, closures and
signed checkpoints. Exits non-zero naming the first broken document; each run is a JET
event (who, when, result, first finding)."""

import getpass

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.services.verification import property_verify, verification_record
from core.models import Property


class Command(BaseCommand):
    help = "Verify the fiscal journal and the documents it seals; non-zero exit when broken."

    def add_arguments(self, parser):
        parser.add_argument("--property", help="slug of one property (default: all)")

    def handle(self, *args, **options):
        properties = Property.objects.order_by("pk")
        if options["property"]:
            properties = properties.filter(slug=options["property"])
            if not properties.exists():
                raise CommandError(f"No property with the slug {options['property']!r}.")
        actor = f"manage.py ({getpass.getuser()})"
        failures = []
        for prop in properties:
            result = property_verify(property=prop)
            verification_record(result, actor=actor)
            for chain, count in result.entries.items():
                self.stdout.write(
                    f"{'OK  ' if result.ok else 'CHECKED'} {prop.slug} {chain}: {count} entries"
                )
            if result.checkpoint is not None:
                self.stdout.write(
                    f"     {prop.slug}: signed checkpoint fiscal #{result.checkpoint.sequence} "
                    f"({timezone.localtime(result.checkpoint.signed_at):%Y-%m-%d %H:%M}), "
                    f"{result.unsigned} entries since"
                )
            for problem in result.problems[:20]:
                line = f"BROKEN {prop.slug} {problem}"
                self.stdout.write(line)
                failures.append(line)
        if failures:
            raise CommandError(failures[0])
