"""Load the French demo ("Hôtel Les Pins"): idempotent, run it as often as you like."""

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import translation

# Each app that has demo data exposes `<app>.demo.seed(context) -> None` (core returns the
# context). Order follows the layering: lower apps first.
DEMO_APPS = ["inventory", "crm", "devices", "billing", "pms", "pos", "channels_sync", "timeclock"]


class Command(BaseCommand):
    help = "Create or refresh the demo property, its staff logins and its data."

    def handle(self, *args, **options):
        from core import demo as core_demo

        # the demo is a French hotel: what its services write (night and tax lines, labels)
        # is in French, whatever language the caller's shell or test speaks
        with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
            context = core_demo.seed()
            for app in DEMO_APPS:
                try:
                    module = import_module(f"{app}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app}.demo":
                        raise
                    continue
                module.seed(context)
        self.stdout.write(self.style.SUCCESS("Demo ready: Hôtel Les Pins"))
        self.stdout.write("Demo logins (username / password / role / PIN):")
        for username, password, role, pin in context["logins"]:
            self.stdout.write(f"  {username:<10} {password:<22} {str(role):<14} PIN {pin}")
        if context.get("links"):
            self.stdout.write("Demo links (paths on the address printed below):")
            for label, path in context["links"]:
                self.stdout.write(f"  {label:<36} {path}")
