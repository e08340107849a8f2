"""Internal: one part of a long fiscal chain's verification, run as a child process by
billing.services.verification.property_verify (a process per core; threads would share one
interpreter lock). Writes the part's findings as JSON to --out; records nothing."""

import json

from django.core.management.base import BaseCommand
from django.utils import translation

from billing.services.verification import property_verify_part
from core.models import Property


class Command(BaseCommand):
    help = "Internal (used by verify_journal): verify one part of a property's fiscal chain."

    def add_arguments(self, parser):
        parser.add_argument("--property-id", type=int, required=True)
        parser.add_argument("--first", type=int, required=True)
        parser.add_argument("--last", type=int)
        parser.add_argument("--given", required=True, help="JSON: signed hashes, covered ids")
        parser.add_argument("--out", required=True)
        parser.add_argument("--language", default="fr")

    def handle(self, *args, **options):
        prop = Property.objects.get(pk=options["property_id"])
        with open(options["given"], encoding="utf-8") as handle:
            given = json.load(handle)
        with translation.override(options["language"]):
            result = property_verify_part(
                property=prop,
                first=options["first"],
                last=options["last"],
                signed={int(seq): digest for seq, digest in given["signed"].items()},
                covered=set(given["covered"]),
            )
        with open(options["out"], "w", encoding="utf-8") as handle:
            json.dump(result, handle)
