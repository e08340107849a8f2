"""Check every fiscal and technical-event chain; exit non-zero naming the first broken entry."""

from django.core.management.base import BaseCommand, CommandError

from billing.models import JournalEntry
from billing.services.journal import JET_VERIFICATION_FAILED, jet_event, journal_verify
from core.models import Property


class Command(BaseCommand):
    help = "Verify the hash chains and perpetual totals of the fiscal journal and the JET."

    def add_arguments(self, parser):
        parser.add_argument("--property", help="slug of one property (default: all)")

    def handle(self, *args, **options):
        properties = Property.objects.order_by("pk")
        if options["property"]:
            properties = properties.filter(slug=options["property"])
        failures = []
        for prop in properties:
            for chain in JournalEntry.Chain.values:
                result = journal_verify(property=prop, chain=chain)
                if result.ok:
                    self.stdout.write(f"OK   {prop.slug} {chain}: {result.checked} entries")
                    continue
                broken = result.broken
                line = (
                    f"BROKEN {prop.slug} {chain}: entry id={broken.pk} "
                    f"sequence={broken.sequence} ({broken.kind} "
                    f"{broken.document_number}): {result.reason}"
                )
                self.stdout.write(line)
                failures.append(line)
                jet_event(
                    property=prop,
                    code=JET_VERIFICATION_FAILED,
                    payload={
                        "chain": chain,
                        "entry": broken.pk,
                        "sequence": broken.sequence,
                        "reason": result.reason,
                    },
                )
        if failures:
            raise CommandError(failures[0])
