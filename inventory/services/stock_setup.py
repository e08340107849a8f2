"""The manager's stock master data (INV-5): locations, items, reorder points per item and
location, suppliers with their packs, and recipes — on screen, not only in the admin.

Every write is scoped to the property, validates the whole row (`save_validated`) and is
audited before → after with the catalogue's helpers (core.audit through `_row_write`), so the
history page shows who changed a par level or a pack price. Duplicates and unit mismatches
are refused with a sentence that names them, before the database's constraints would."""

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audited_save
from core.exceptions import InvalidInput, NotFound
from core.models import Property
from inventory.models import (
    UNIT_BASE,
    Product,
    RecipeLine,
    StockItem,
    StockLevel,
    StockLocation,
    StockMovement,
    StockSettings,
    Supplier,
    SupplierItem,
)
from inventory.services.catalogue import _row_write, audit_change, snapshot
from inventory.services.stock import QUANTUM, recipe_line_delete, recipe_line_save

LOCATION_FIELDS = ("code", "name", "kind", "room_number", "is_active")
ITEM_FIELDS = ("code", "name", "base_unit", "barcode", "average_cost", "is_active")
LEVEL_FIELDS = ("reorder_point", "par_level")
SUPPLIER_FIELDS = ("name", "email", "phone", "lead_time_days", "is_active")
SUPPLIER_ITEM_FIELDS = ("item_id", "reference", "pack_label", "pack_size", "pack_price")
RECIPE_FIELDS = ("item_id", "quantity", "unit", "yield_percent")


def parse_quantity(value: Any, *, label: str, required: bool = True) -> Decimal | None:
    """A quantity typed by a person ("1,5" or "1.5"): three places, never negative."""
    text = str(value if value is not None else "").strip().replace(",", ".").replace(" ", "")
    if not text:
        if required:
            raise InvalidInput(_("Enter %(label)s.") % {"label": label})
        return None
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(_("%(label)s is not a number.") % {"label": label}) from None
    if not quantity.is_finite():
        raise InvalidInput(_("%(label)s is not a number.") % {"label": label})
    if quantity < 0:
        raise InvalidInput(_("%(label)s cannot be negative.") % {"label": label})
    return quantity.quantize(QUANTUM, ROUND_HALF_UP)


def _save(property: Property, actor, fields, existing, blank, names, action: str, check):
    """`_row_write` of an existing row, or of `blank` (a new one), audited as `action`."""
    return _row_write(
        existing or blank,
        is_new=existing is None,
        names=names,
        fields=fields,
        property=property,
        actor=actor,
        action=action,
        check=check,
    )


def _taken(rows, pk) -> bool:
    """Whether another row than `pk` matches (a duplicate code, name, barcode, pack)."""
    return rows.exclude(pk=pk).exists()


def _owned(instance, property: Property, message: str):
    if instance is not None and instance.property_id != property.pk:
        raise NotFound(message)
    return instance


def _code_free(model, *, property: Property, code: str, pk, what: str) -> None:
    if model.objects.filter(property=property, code=code).exclude(pk=pk).exists():
        raise InvalidInput(
            _("The code “%(code)s” is already used by another %(what)s.")
            % {"code": code, "what": what}
        )


@transaction.atomic
def location_save(
    *,
    property: Property,
    actor,
    fields: Mapping[str, Any],
    location: StockLocation | None = None,
) -> StockLocation:
    """Create or change a place where stock is kept (bar, kitchen, shop, store, minibar)."""
    _owned(location, property, _("No such location."))

    def check(row: StockLocation) -> None:
        _code_free(StockLocation, property=property, code=row.code, pk=row.pk, what=_("location"))
        row.room_number = (row.room_number or "").strip()
        if row.room_number and row.kind != StockLocation.Kind.MINIBAR:
            raise InvalidInput(_("Only a minibar belongs to a room."))
        if row.room_number and _taken(
            StockLocation.objects.filter(
                property=property, kind=StockLocation.Kind.MINIBAR, room_number=row.room_number
            ),
            row.pk,
        ):
            raise InvalidInput(
                _("Room %(number)s already has a minibar.") % {"number": row.room_number}
            )

    blank = StockLocation(property=property)
    return _save(
        property, actor, fields, location, blank, LOCATION_FIELDS, "inventory.stock_location", check
    )


@transaction.atomic
def item_save(
    *, property: Property, actor, fields: Mapping[str, Any], item: StockItem | None = None
) -> StockItem:
    """Create or change a stock item. Its unit cannot change once it has moved or is in a
    recipe (every quantity on the ledger is in that unit); a barcode scans to one item."""
    _owned(item, property, _("No such stock item."))
    old_unit = item.base_unit if item is not None else None

    def check(row: StockItem) -> None:
        _code_free(StockItem, property=property, code=row.code, pk=row.pk, what=_("stock item"))
        if row.barcode and (
            _taken(StockItem.objects.filter(property=property, barcode=row.barcode), row.pk)
        ):
            raise InvalidInput(
                _("The barcode %(code)s is already used by another stock item.")
                % {"code": row.barcode}
            )
        if row.average_cost is not None and row.average_cost < 0:
            raise InvalidInput(_("The cost cannot be negative."))
        if old_unit and row.base_unit != old_unit and _unit_locked(row):
            raise InvalidInput(
                _(
                    "%(item)s has movements or recipes in %(unit)s: its unit cannot change. "
                    "Create a new item instead."
                )
                % {"item": row.name, "unit": old_unit}
            )

    blank = StockItem(property=property)
    return _save(property, actor, fields, item, blank, ITEM_FIELDS, "inventory.stock_item", check)


def _unit_locked(item: StockItem) -> bool:
    return (
        StockMovement.objects.filter(item_id=item.pk).exists()
        or RecipeLine.objects.filter(item_id=item.pk).exists()
    )


@transaction.atomic
def level_thresholds_set(
    *,
    property: Property,
    actor,
    item: StockItem,
    location_id: int,
    reorder_point: Decimal | None,
    par_level: Decimal | None,
) -> StockLevel | None:
    """The reorder point and par level of an item at a location (the low-stock alert and the
    suggested order read them). A level without stock yet is created at zero — the ledger
    of an empty shelf sums to zero too."""
    _owned(item, property, _("No such stock item."))
    location = StockLocation.objects.filter(property=property, pk=location_id).first()
    if location is None:
        raise NotFound(_("No such location."))
    for value in (reorder_point, par_level):
        if value is not None and value < 0:
            raise InvalidInput(_("A reorder point or par level cannot be negative."))
    if reorder_point is not None and par_level is not None and par_level < reorder_point:
        raise InvalidInput(_("The par level cannot be below the reorder point."))
    if reorder_point is None and par_level is None:
        level = StockLevel.objects.filter(item=item, location=location).first()
        if level is None:
            return None  # nothing to remember about an empty shelf
    level, created = StockLevel.objects.select_for_update().get_or_create(
        item=item, location=location, defaults={"property": property}
    )
    before = None if created else snapshot(level, LEVEL_FIELDS)
    level.reorder_point, level.par_level = reorder_point, par_level
    level.save(update_fields=["reorder_point", "par_level", "updated_at"])
    after = snapshot(level, LEVEL_FIELDS)
    if before != after:
        audit_change(
            action="inventory.stock_level.updated",
            property=property,
            actor=actor,
            instance=level,
            before=before or {},
            after=after,
        )
    return level


@transaction.atomic
def supplier_save(
    *, property: Property, actor, fields: Mapping[str, Any], supplier: Supplier | None = None
) -> Supplier:
    """Create or change a supplier (its e-mail receives the purchase orders)."""
    _owned(supplier, property, _("No such supplier."))

    def check(row: Supplier) -> None:
        if _taken(Supplier.objects.filter(property=property, name__iexact=row.name), row.pk):
            raise InvalidInput(
                _("A supplier named “%(name)s” exists already.") % {"name": row.name}
            )

    blank = Supplier(property=property)
    return _save(
        property, actor, fields, supplier, blank, SUPPLIER_FIELDS, "inventory.supplier", check
    )


@transaction.atomic
def supplier_item_save(
    *,
    property: Property,
    actor,
    supplier: Supplier,
    fields: Mapping[str, Any],
    offer: SupplierItem | None = None,
) -> SupplierItem:
    """What the supplier sells of an item: its pack (in the item's base unit) and price."""
    _owned(supplier, property, _("No such supplier."))
    if offer is not None and offer.supplier_id != supplier.pk:
        raise NotFound(_("No such pack."))
    item_id = fields.get("item_id", offer.item_id if offer else None)
    item = StockItem.objects.filter(property=property, pk=item_id).first()
    if item is None:
        raise InvalidInput(_("Unknown stock item for this property."))

    def check(row: SupplierItem) -> None:
        if _taken(SupplierItem.objects.filter(supplier=supplier, item_id=row.item_id), row.pk):
            raise InvalidInput(
                _("%(supplier)s already sells %(item)s: change its line instead.")
                % {"supplier": supplier.name, "item": item.name}
            )
        if row.pack_size is None or row.pack_size <= 0:
            raise InvalidInput(_("A pack holds more than zero units."))

    blank = SupplierItem(supplier=supplier)
    return _save(
        property,
        actor,
        fields,
        offer,
        blank,
        SUPPLIER_ITEM_FIELDS,
        "inventory.supplier_item",
        check,
    )


@transaction.atomic
def supplier_item_delete(*, property: Property, actor, offer: SupplierItem) -> None:
    if offer.supplier.property_id != property.pk:
        raise NotFound(_("No such pack."))
    audit_change(
        action="inventory.supplier_item.deleted",
        property=property,
        actor=actor,
        instance=offer,
        before=snapshot(offer, SUPPLIER_ITEM_FIELDS),
        after=None,
    )
    offer.delete()


def unit_choices_for(item: StockItem) -> list[str]:
    """The units a recipe may use for the item: those of its base unit's kind."""
    return [unit for unit, (base, _factor) in UNIT_BASE.items() if base == item.base_unit]


@transaction.atomic
def recipe_line_set(
    *,
    property: Property,
    actor,
    product: Product,
    item_id: int,
    quantity: Decimal,
    unit: str,
    yield_percent: Decimal,
    adding: bool,
) -> RecipeLine:
    """Add an ingredient to a product's recipe (`adding`: refused if it is already in) or
    change its quantity, unit (converted to the item's: cl of a liquid, not g) and yield."""
    if product.property_id != property.pk:
        raise NotFound(_("No such product."))
    item = StockItem.objects.filter(property=property, pk=item_id).first()
    if item is None:
        raise InvalidInput(_("Unknown stock item for this property."))
    existing = RecipeLine.objects.filter(product=product, item=item).first()
    if adding and existing is not None:
        raise InvalidInput(
            _("%(item)s is already in the recipe: change its line instead.") % {"item": item.name}
        )
    before = snapshot(existing, RECIPE_FIELDS) if existing is not None else None
    line = recipe_line_save(
        product=product, item=item, quantity=quantity, unit=unit, yield_percent=yield_percent
    )
    audit_change(
        action=f"inventory.recipe_line.{'updated' if existing else 'created'}",
        property=property,
        actor=actor,
        instance=line,
        before=before,
        after=snapshot(line, RECIPE_FIELDS),
    )
    return line


@transaction.atomic
def recipe_line_remove(*, property: Property, actor, product: Product, item_id: int) -> None:
    if product.property_id != property.pk:
        raise NotFound(_("No such product."))
    line = RecipeLine.objects.filter(product=product, item_id=item_id).first()
    if line is None:
        return
    audit_change(
        action="inventory.recipe_line.deleted",
        property=property,
        actor=actor,
        instance=line,
        before=snapshot(line, RECIPE_FIELDS),
        after=None,
    )
    recipe_line_delete(product=product, item_id=item_id)


def stock_settings_save(*, property: Property, actor, allow_negative: bool) -> StockSettings:
    """The rule when a sale would take an ingredient below zero: refuse the sale, or sell and
    alert (audited `inventory.stock_settings`, issue 21)."""
    with transaction.atomic():
        row = StockSettings.objects.select_for_update().filter(
            property=property
        ).first() or StockSettings(property=property)
        return audited_save(
            row,
            names=("allow_negative",),
            changes={"allow_negative": bool(allow_negative)},
            action="inventory.stock_settings",
            actor=actor,
        )
