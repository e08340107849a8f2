"""The property's terminals (with outlet, receipt printer and cash drawer) and station printers
kept in the shared cache: every sale and every tablet payment reads its terminal, every send
to the kitchen its station printers, and those rows change only when a manager edits the
set-up.

Entries live under one token for the whole installation (as inventory.catalog_cache does per
property for the catalogue): saving or deleting a terminal, an outlet, a printer, a cash
drawer or a station printer anywhere drops it, now and after commit, so the next read goes to
PostgreSQL again.
One token, not one per property: a row moved to another property must leave the old
property's entries too, and set-up changes are rare. A bulk `QuerySet.update()` sends no
signal: code that changes these rows that way calls `terminals_changed`; entries also expire
after TERMINAL_CACHE_SECONDS."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.cache_tokens import current_token, drop_token, versioned_get
from devices.models import CashDrawer, Printer
from pos.models import Outlet, StationPrinter, Terminal

TERMINAL_CACHE_SECONDS = 300


TOKEN_KEY = "pos:terminals-version"


def terminals_version() -> str:
    """The current token; read it before the rows a cached value is built from."""
    return current_token(TOKEN_KEY)


def terminals_changed() -> None:
    drop_token(TOKEN_KEY)


def station_printers(*, property) -> dict:
    """{station: Printer} of the property's active station printers (kitchen, bar...),
    read by every send to the kitchen; cached under the same token."""
    key = f"pos:station-printers:{terminals_version()}:{property.pk}"
    printers = versioned_get(key)
    if printers is None:
        printers = {
            sp.station: sp.printer
            for sp in StationPrinter.objects.filter(
                property=property, printer__is_active=True
            ).select_related("printer")
        }
        cache.set(key, printers, timeout=TERMINAL_CACHE_SECONDS)
    return printers


@receiver([post_save, post_delete], sender=StationPrinter)
@receiver([post_save, post_delete], sender=Terminal)
@receiver([post_save, post_delete], sender=Outlet)
@receiver([post_save, post_delete], sender=Printer)
@receiver([post_save, post_delete], sender=CashDrawer)
def _set_up_changed(sender, instance, **kwargs) -> None:
    terminals_changed()
