"""The manager's outlets screen writes (issue 21): terminals (name, outlet, receipt printer,
active) and which printer each station (kitchen, bar) prints its tickets on. Printers are
devices' rows (devices.services.printer_save). Every write is checked whole and audited
(core.audit.audited_save); the terminals' cache token drops on save (pos.terminal_cache)."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log, audited_save
from core.exceptions import InvalidInput, NotFound
from core.models import Property
from devices.models import CardReader, Printer
from pos.models import Outlet, StationPrinter, Terminal
from pos.services.tables import STATIONS

TERMINAL_FIELDS = ("name", "outlet_id", "printer_id", "card_reader_id", "is_active")


@transaction.atomic
def terminal_save(
    *,
    property: Property,
    actor,
    name: str,
    outlet: Outlet,
    printer: Printer | None,
    card_reader: CardReader | None = None,
    is_active: bool = True,
    terminal: Terminal | None = None,
) -> Terminal:
    """Create or change a terminal; its outlet, printer and card terminal are of `property`
    (else NotFound).
    A deactivated terminal keeps its history; the tablets bound to it stop selling there."""
    if any(
        row is not None and row.property_id != property.pk for row in (outlet, printer, card_reader)
    ):
        raise NotFound()
    if terminal is not None and terminal.property_id != property.pk:
        raise NotFound()
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the terminal a name."), extra={"field": "name"})
    return audited_save(
        terminal or Terminal(property=property),
        names=TERMINAL_FIELDS,
        changes={
            "name": name[:100],
            "outlet": outlet,
            "printer": printer,
            "card_reader": card_reader,
            "is_active": is_active,
        },
        action="pos.terminal",
        actor=actor,
    )


@transaction.atomic
def station_printer_set(
    *, property: Property, actor, station: str, printer: Printer | None
) -> StationPrinter | None:
    """The printer a station's tickets print on (None: the display only). Audited."""
    if station not in STATIONS:
        raise InvalidInput(_("Unknown station."), extra={"field": "station"})
    if printer is not None and printer.property_id != property.pk:
        raise NotFound()
    row = StationPrinter.objects.filter(property=property, station=station).first()
    before = row.printer_id if row else None
    if printer is None:
        if row is not None:
            row.delete()
        row = None
    elif row is None:
        row = StationPrinter.objects.create(property=property, station=station, printer=printer)
    elif row.printer_id != printer.pk:
        row.printer = printer
        row.save(update_fields=["printer", "updated_at"])
    after = printer.pk if printer else None
    if before != after:
        audit_log(
            action="pos.station_printer.changed",
            property=property,
            actor=actor,
            data={
                "model": "pos.stationprinter",
                "object": station,
                "before": {"printer_id": before},
                "after": {"printer_id": after},
            },
        )
    return row


OUTLET_FIELDS = ("code", "name", "kind", "is_active", "stock_location")


@transaction.atomic
def outlet_save(*, property: Property, actor, fields: dict, outlet: Outlet | None = None) -> Outlet:
    """Create or change an outlet (code unique in the property, a known kind). Audited.
    A deactivated outlet keeps its terminals and history; its menu is set elsewhere."""
    if outlet is not None and outlet.property_id != property.pk:
        raise NotFound()
    if set(fields) - set(OUTLET_FIELDS):
        raise InvalidInput(_("Unknown field."))
    location = fields.get("stock_location")
    if location is not None and location.property_id != property.pk:
        raise NotFound()
    if (
        location is not None
        and not location.is_active
        and (outlet is None or outlet.stock_location_id != location.pk)
    ):
        raise InvalidInput(
            _("This stock location is inactive: reactivate it first."),
            extra={"field": "stock_location"},
        )
    taken = Outlet.objects.filter(property=property, code=fields.get("code"))
    if outlet is not None:
        taken = taken.exclude(pk=outlet.pk)
    if taken.exists():
        raise InvalidInput(_("This code is already used."), extra={"field": "code"})
    return audited_save(
        # a new shop's guests may pay at pickup (click-and-collect); other outlets opt in
        outlet
        or Outlet(property=property, collect_pay_at_pickup=fields.get("kind") == Outlet.Kind.SHOP),
        names=OUTLET_FIELDS,
        changes=dict(fields),
        action="pos.outlet",
        actor=actor,
    )
