"""Stock (INV-5): the movement ledger and the levels it explains, recipes consumed by sales,
transfers, waste, deliveries with their weighted average cost, and counts.

Every change of a level goes through `stock_apply`: one UPDATE of the levels (locked in pk
order, the floor checked in the same statement) and one INSERT of the movements, in the
caller's transaction — so a sale of a 6-ingredient cocktail costs two statements more than
the sale, and the ledger's sum is the level whatever retries or races happen."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.cache_tokens import versioned_get
from core.exceptions import InvalidInput, PermissionDenied
from core.models import Property
from inventory.catalog_cache import catalog_changed, catalog_version
from inventory.exceptions import OutOfStock
from inventory.lock_objects import stock_items_for_update, stock_levels_add
from inventory.models import (
    UNIT_BASE,
    Product,
    RecipeLine,
    StockCount,
    StockCountLine,
    StockItem,
    StockLevel,
    StockLocation,
    StockMovement,
    StockSettings,
)

QUANTUM = Decimal("0.001")
QUANTITY_FIELD = DecimalField(max_digits=14, decimal_places=3)
COST_QUANTUM = Decimal("0.000001")
Kind = StockMovement.Kind


@dataclass(frozen=True)
class Move:
    """A signed quantity of an item at a location, in the item's base unit. `unit_cost` None:
    the item's average cost when it moves."""

    item_id: int
    location_id: int
    quantity: Decimal
    kind: str
    unit_cost: Decimal | None = None
    reason: str = ""
    note: str = ""


def to_base(*, quantity: Decimal, unit: str, item: StockItem) -> Decimal:
    """`quantity` of `unit` in the item's base unit (5 cl of rum → 50 ml); refuses a unit of
    another kind (grams of a liquid kept in ml)."""
    base, factor = UNIT_BASE[unit]
    if base != item.base_unit:
        raise InvalidInput(
            _("%(item)s is counted in %(unit)s: %(given)s cannot be converted.")
            % {"item": item.name, "unit": item.get_base_unit_display(), "given": unit}
        )
    return (Decimal(quantity) * factor).quantize(QUANTUM, ROUND_HALF_UP)


def stock_apply(
    *,
    property: Property,
    moves: Sequence[Move],
    reference: str = "",
    actor=None,
    check_floor: bool = True,
    now=None,
    later: list | None = None,
) -> list[StockMovement]:
    """Move stock inside the caller's transaction: the levels and their movements together.
    With `later` (see capacity_consume), the movements' INSERT is appended there and runs
    once what `reference` (then possibly a callable) names is written.

    `check_floor`: a decrease below zero follows the property's rule (refused with
    OutOfStock naming the item and what is left, or allowed: the level goes negative and
    the low-stock alert names it). Statements: 2 when every level exists (the usual case);
    a level's first movement creates it first (one more round trip).
    Locks: the affected StockLevel rows, in pk order."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("stock_apply must run inside the caller's transaction")
    moves = [m for m in moves if m.quantity != 0]
    if not moves:
        return []
    changes: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for move in moves:
        changes[(move.item_id, move.location_id)] += move.quantity
    rows = [(item, location, quantity) for (item, location), quantity in changes.items()]
    applied = stock_levels_add(property_id=property.pk, changes=rows, check_floor=check_floor)
    missing = [row for row in rows if (row[0], row[1]) not in applied]
    if missing:
        applied |= _missing_levels(property=property, rows=missing, check_floor=check_floor)
    now = now or timezone.now()

    def insert() -> list[StockMovement]:
        return _movements_insert(property, moves, applied, reference, actor, now)

    if later is not None:
        later.append(insert)
        return []
    return insert()


def _movements_insert(property, moves, applied, reference, actor, now) -> list[StockMovement]:
    if callable(reference):
        reference = reference()
    return StockMovement.objects.bulk_create(
        [
            StockMovement(
                property=property,
                item_id=m.item_id,
                location_id=m.location_id,
                kind=m.kind,
                quantity=m.quantity,
                unit_cost=m.unit_cost
                if m.unit_cost is not None
                else applied[(m.item_id, m.location_id)][1],
                reason=m.reason,
                note=m.note[:200],
                reference=reference,
                actor=actor,
                created_at=now,
            )
            for m in moves
        ]
    )


def _missing_levels(*, property: Property, rows: list, check_floor: bool) -> dict:
    """The rare path of stock_apply: levels that do not exist yet, or a decrease refused."""
    keys = Q(pk__in=[])
    for item, location, _quantity in rows:
        keys |= Q(item_id=item, location_id=location)
    existing = {
        (lv.item_id, lv.location_id): lv
        for lv in StockLevel.objects.filter(keys, property=property).select_related("item")
    }
    allow = not check_floor or _allows_negative(property)
    absent = []
    for item, location, quantity in rows:
        level = existing.get((item, location))
        if level is not None or (quantity < 0 and not allow):
            known = level.item if level else StockItem.objects.filter(pk=item).first()
            left = level.quantity if level else Decimal(0)
            raise OutOfStock(
                _("Not enough %(item)s: %(left)s %(unit)s left, %(wanted)s %(unit)s needed.")
                % {
                    "item": known.name if known else "?",
                    "left": _plain(left),
                    "wanted": _plain(-quantity),
                    "unit": known.get_base_unit_display() if known else "",
                },
                extra={"item": item, "location": location, "left": str(left)},
            )
        absent.append((item, location, quantity))
    items = set(
        StockItem.objects.filter(property=property, pk__in={r[0] for r in absent}).values_list(
            "pk", flat=True
        )
    )
    locations = set(
        StockLocation.objects.filter(property=property, pk__in={r[1] for r in absent}).values_list(
            "pk", flat=True
        )
    )
    if any(r[0] not in items or r[1] not in locations for r in absent):
        raise InvalidInput(_("Unknown stock item or location for this property."))
    StockLevel.objects.bulk_create(
        [StockLevel(property=property, item_id=r[0], location_id=r[1]) for r in absent],
        ignore_conflicts=True,
    )
    applied = stock_levels_add(property_id=property.pk, changes=absent, check_floor=check_floor)
    if len(applied) != len(absent):
        raise OutOfStock()
    return applied


def _allows_negative(property: Property) -> bool:
    return StockSettings.objects.filter(property=property, allow_negative=True).exists()


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


# --- recipes ---------------------------------------------------------------------------


def _recipes_key(property_id: int, token: str) -> str:
    return f"inventory:recipes:{property_id}:{token}"


def recipes_cached(*, property_id: int) -> dict[int, list[tuple[int, Decimal]]]:
    """{product: [(item, base quantity per unit sold)]} of the property, cached under the
    catalog token (a recipe is part of what is sold; a change drops the token) so that a
    sale reads no recipe row."""
    token = catalog_version(property_id=property_id)
    key = _recipes_key(property_id, token)
    recipes = versioned_get(key)
    if recipes is None:
        recipes = defaultdict(list)
        for line in RecipeLine.objects.filter(product__property_id=property_id).select_related(
            "item"
        ):
            recipes[line.product_id].append((line.item_id, recipe_base_quantity(line)))
        recipes = dict(recipes)
        cache.set(key, recipes, timeout=3600)
    return recipes


def recipe_base_quantity(line: RecipeLine) -> Decimal:
    """What one unit sold takes of the item, in its base unit, the yield included."""
    base = to_base(quantity=line.quantity, unit=line.unit, item=line.item)
    return (base * 100 / line.yield_percent).quantize(QUANTUM, ROUND_HALF_UP)


def recipe_line_save(
    *, product: Product, item: StockItem, quantity: Decimal, unit: str, yield_percent=100
) -> RecipeLine:
    """Add or change one ingredient of a product's recipe (units checked against the item)."""
    if item.property_id != product.property_id:
        raise InvalidInput(_("Unknown stock item for this property."))
    if quantity <= 0:
        raise InvalidInput(_("The quantity must be positive."))
    if not 0 < Decimal(yield_percent) <= 100:
        raise InvalidInput(_("The yield is a percentage between 0 and 100."))
    to_base(quantity=quantity, unit=unit, item=item)
    with transaction.atomic():
        line, _created = RecipeLine.objects.update_or_create(
            product=product,
            item=item,
            defaults={"quantity": quantity, "unit": unit, "yield_percent": yield_percent},
        )
        catalog_changed(property_id=product.property_id)
    return line


def recipe_line_delete(*, product: Product, item_id: int) -> None:
    with transaction.atomic():
        RecipeLine.objects.filter(product=product, item_id=item_id).delete()
        catalog_changed(property_id=product.property_id)


def sale_moves(
    *, property: Property, location_id: int, lines: Iterable[tuple[int, Decimal]]
) -> list[Move]:
    """The ingredients of `lines` ((product, quantity sold)) at `location_id`, one move per
    item however many products share it. No query: the recipes are cached."""
    recipes = recipes_cached(property_id=property.pk)
    needs: dict[int, Decimal] = defaultdict(Decimal)
    for product_id, quantity in lines:
        for item_id, per_unit in recipes.get(product_id, ()):
            needs[item_id] += per_unit * Decimal(quantity)
    return [
        Move(item_id=item, location_id=location_id, quantity=-q.quantize(QUANTUM), kind=Kind.SALE)
        for item, q in sorted(needs.items())
    ]


def stock_sale(
    *,
    property: Property,
    location_id: int | None,
    lines: Iterable[tuple[int, Decimal]],
    reference: str | Callable[[], str],
    actor=None,
    offline: bool = False,
    later: list | None = None,
) -> list[StockMovement]:
    """Take a sale's ingredients at its outlet's location, in the sale's transaction (+2
    statements whatever the number of ingredients, none for a sale without recipes). An
    offline ticket already sold is never refused: its level may go negative. `reference`
    may be a callable, called only when the movements are inserted (with `later`, see
    stock_apply: once the sale's order is written)."""
    if location_id is None:
        return []
    moves = sale_moves(property=property, location_id=location_id, lines=lines)
    if not moves:
        return []
    return stock_apply(
        property=property,
        moves=moves,
        reference=reference,
        actor=actor,
        check_floor=not offline,
        later=later,
    )


def stock_return(
    *, property: Property, reference: str, quantity: int | None = None, actor=None
) -> list[StockMovement]:
    """Put back what `reference` took (a refunded order's ingredients, a released extra):
    all of it, or `quantity` of each item. Once, however often it is called: the refund
    movements carry the same reference. Called by capacity_release, so every release of a
    sale, a stay's extra or an expired hold gives its stock back too."""
    taken = (
        StockMovement.objects.filter(
            property=property, reference=reference, kind__in=[Kind.SALE, Kind.REFUND]
        )
        .values("item_id", "location_id")
        .annotate(total=Sum("quantity"))
    )
    moves = [
        Move(
            item_id=row["item_id"],
            location_id=row["location_id"],
            quantity=min(-row["total"], Decimal(quantity)) if quantity else -row["total"],
            kind=Kind.REFUND,
        )
        for row in taken
        if row["total"] < 0
    ]
    if not moves:
        return []
    with transaction.atomic():
        return stock_apply(
            property=property, moves=moves, reference=reference, actor=actor, check_floor=False
        )


def stock_return_lines(
    *, property: Property, reference: str, lines: Iterable[tuple], actor=None
) -> list[StockMovement]:
    """Put back what some lines of a sale took — a refund by line and quantity: each
    ((product, quantity)) gives back its recipe's ingredients and a ledger-kept pool's units,
    where the sale took them, never more of an item than the sale still holds."""
    held = {
        row["item_id"]: (row["location_id"], -row["total"])
        for row in StockMovement.objects.filter(
            property=property, reference=reference, kind__in=[Kind.SALE, Kind.REFUND]
        )
        .values("item_id", "location_id")
        .annotate(total=Sum("quantity"))
        if row["total"] < 0
    }
    if not held:
        return []
    recipes = recipes_cached(property_id=property.pk)
    needs: dict[int, Decimal] = defaultdict(Decimal)
    for product, quantity in lines:
        for item_id, per_unit in recipes.get(product.pk, ()):
            needs[item_id] += per_unit * Decimal(quantity)
        pool = product.capacity_pool
        if pool is not None and pool.stock_item_id:
            needs[pool.stock_item_id] += Decimal(quantity)
    moves = [
        Move(
            item_id=item,
            location_id=held[item][0],
            quantity=min(need.quantize(QUANTUM), held[item][1]),
            kind=Kind.REFUND,
        )
        for item, need in sorted(needs.items())
        if item in held and need > 0
    ]
    if not moves:
        return []
    return stock_apply(
        property=property, moves=moves, reference=reference, actor=actor, check_floor=False
    )


# --- manual movements ------------------------------------------------------------------


def _scoped(property: Property, model, pk) -> object:
    obj = model.objects.filter(property=property, pk=pk).first()
    if obj is None:
        raise InvalidInput(_("Unknown stock item or location for this property."))
    return obj


def _positive(quantity) -> Decimal:
    try:
        value = Decimal(quantity).quantize(QUANTUM, ROUND_HALF_UP)
    except (ArithmeticError, TypeError, ValueError):
        raise InvalidInput(_("Enter a quantity.")) from None
    if value <= 0:
        raise InvalidInput(_("The quantity must be positive."))
    return value


def stock_transfer(
    *, property: Property, item_id: int, source_id: int, destination_id: int, quantity, actor
) -> list[StockMovement]:
    """Move stock between two locations (store room → bar), at the item's cost; refused when
    the source does not hold it (whatever the sales rule: a transfer moves what exists)."""
    quantity = _positive(quantity)
    item = _scoped(property, StockItem, item_id)
    _scoped(property, StockLocation, source_id)
    _scoped(property, StockLocation, destination_id)
    if source_id == destination_id:
        raise InvalidInput(_("Choose two different locations."))
    reference = f"stock.transfer:{timezone.now().timestamp():.6f}:{item.pk}"
    with transaction.atomic():
        if not _holds(property, item.pk, source_id, quantity):
            raise OutOfStock(
                _("The source location does not hold %(quantity)s of %(item)s.")
                % {"quantity": _plain(quantity), "item": item.name}
            )
        return stock_apply(
            property=property,
            moves=[
                Move(item.pk, source_id, -quantity, Kind.TRANSFER_OUT),
                Move(item.pk, destination_id, quantity, Kind.TRANSFER_IN),
            ],
            reference=reference,
            actor=actor,
            check_floor=False,
        )


def _holds(property: Property, item_id: int, location_id: int, quantity: Decimal) -> bool:
    return (
        StockLevel.objects.filter(
            property=property, item_id=item_id, location_id=location_id, quantity__gte=quantity
        )
        .select_for_update()
        .exists()
    )


def stock_waste(
    *, property: Property, item_id: int, location_id: int, quantity, reason: str, actor, note=""
) -> list[StockMovement]:
    """Write off a breakage, a spillage, something expired: a reason is required."""
    quantity = _positive(quantity)
    if reason not in StockMovement.Reason.values or not reason:
        raise InvalidInput(_("Choose why the stock is written off."))
    _scoped(property, StockItem, item_id)
    _scoped(property, StockLocation, location_id)
    with transaction.atomic():
        return stock_apply(
            property=property,
            moves=[Move(item_id, location_id, -quantity, Kind.WASTE, reason=reason, note=note)],
            reference="stock.waste",
            actor=actor,
            check_floor=False,
        )


# --- counts ----------------------------------------------------------------------------


def count_start(*, property: Property, location_id: int, actor) -> StockCount:
    location = _scoped(property, StockLocation, location_id)
    return StockCount.objects.create(property=property, location=location, started_by=actor)


def count_submit(*, count: StockCount, counted: dict[int, Decimal], actor, now=None) -> StockCount:
    """Record the counter's quantities (blind: nothing expected was shown), then, only now,
    what the ledger expected at this moment and the cost of each item. Items not counted
    count as zero only if they were listed on the sheet (every item the location holds)."""
    now = now or timezone.now()
    with transaction.atomic():
        count = StockCount.objects.select_for_update().get(pk=count.pk)
        if count.status != StockCount.Status.OPEN:
            raise InvalidInput(_("This count was already submitted."))
        items = set(
            StockItem.objects.filter(
                property_id=count.property_id, pk__in=list(counted)
            ).values_list("pk", flat=True)
        )
        if set(counted) - items:
            raise InvalidInput(_("Unknown stock item for this property."))
        for value in counted.values():
            if value is None or value < 0:
                raise InvalidInput(_("A counted quantity cannot be negative."))
        expected = count_expected(location_id=count.location_id, at=now, item_ids=list(counted))
        costs = dict(
            StockItem.objects.filter(pk__in=list(counted)).values_list("pk", "average_cost")
        )
        StockCountLine.objects.bulk_create(
            [
                StockCountLine(
                    count=count,
                    item_id=item,
                    counted=Decimal(value).quantize(QUANTUM, ROUND_HALF_UP),
                    expected=expected.get(item, Decimal(0)),
                    unit_cost=costs[item],
                )
                for item, value in counted.items()
            ]
        )
        count.status = StockCount.Status.SUBMITTED
        count.submitted_at = now
        count.save(update_fields=["status", "submitted_at"])
    return count


def count_expected(
    *, location_id: int, at, item_ids: Sequence[int] | None = None
) -> dict[int, Decimal]:
    """What the location held at `at`, per item: each level less the movements after `at`,
    in ONE statement (one snapshot, so a sale committing meanwhile is counted once). The
    level is the ledger's sum, so this equals summing a year of movements, but it reads
    only what moved since `at` — a range of the (location, created_at, item, quantity)
    index, milliseconds for a count just submitted whatever the ledger's size
    (benchmarks/bench_stock.py: 200 items over 2 M movements)."""
    later = (
        StockMovement.objects.filter(
            location_id=OuterRef("location_id"), item_id=OuterRef("item_id"), created_at__gt=at
        )
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    levels = StockLevel.objects.filter(location_id=location_id)
    if item_ids is not None:
        levels = levels.filter(item_id__in=list(item_ids))
    return dict(
        levels.annotate(
            since=Coalesce(Subquery(later[:1]), Value(Decimal(0)), output_field=QUANTITY_FIELD)
        ).values_list("item_id", F("quantity") - F("since"))
    )


def ledger_balances(*, location_id: int, at=None) -> dict[int, Decimal]:
    """The auditor's check: every movement of the location (up to `at`) summed per item —
    equal to the levels (the day-at-the-bar test, the benchmark)."""
    movements = StockMovement.objects.filter(location_id=location_id)
    if at is not None:
        movements = movements.filter(created_at__lte=at)
    return dict(
        movements.values("item_id").annotate(total=Sum("quantity")).values_list("item_id", "total")
    )


def count_approve(*, count: StockCount, approver, is_manager: bool) -> list[StockMovement]:
    """A manager turns the variances into count movements (valued at the cost of the
    submission), so the level follows the shelf and the loss is on the ledger."""
    if not is_manager:
        raise PermissionDenied(_("Only a manager approves a count."))
    with transaction.atomic():
        count = StockCount.objects.select_for_update().get(pk=count.pk)
        if count.status != StockCount.Status.SUBMITTED:
            raise InvalidInput(_("Only a submitted count can be approved."))
        moves = [
            Move(
                item_id=line.item_id,
                location_id=count.location_id,
                quantity=line.variance,
                kind=Kind.COUNT,
                unit_cost=line.unit_cost,
            )
            for line in count.lines.all()
            if line.variance
        ]
        movements = stock_apply(
            property=count.property,
            moves=moves,
            reference=f"stock.count:{count.pk}",
            actor=approver,
            check_floor=False,
        )
        count.status = StockCount.Status.APPROVED
        count.approved_by = approver
        count.approved_at = timezone.now()
        count.save(update_fields=["status", "approved_by", "approved_at"])
    return movements


def weighted_average_cost(
    *, on_hand: Decimal, cost: Decimal, received: Decimal, unit_cost: Decimal
) -> Decimal:
    """The item's new cost after a delivery: what was on hand at its cost plus what came
    in at its own; stock at or below zero takes the delivery's cost."""
    if on_hand <= 0:
        return unit_cost.quantize(COST_QUANTUM, ROUND_HALF_UP)
    total = on_hand * cost + received * unit_cost
    return (total / (on_hand + received)).quantize(COST_QUANTUM, ROUND_HALF_UP)


def stock_receive(
    *,
    property: Property,
    location_id: int,
    lines: Sequence[tuple[int, Decimal, Decimal]],
    reference: str,
    actor,
) -> list[StockMovement]:
    """Raise levels with a delivery's lines ((item, base quantity, unit cost)) and set each
    item's weighted average cost. Locks: the items (two deliveries of one item queue), then
    their levels. Must run inside the caller's transaction."""
    items = stock_items_for_update(property_id=property.pk, ids={r[0] for r in lines})
    if len(items) != len({r[0] for r in lines}):
        raise InvalidInput(_("Unknown stock item for this property."))
    on_hand = dict(
        StockLevel.objects.filter(item_id__in=list(items))
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )
    received: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for item_id, quantity, unit_cost in lines:
        received[item_id].append((quantity, unit_cost))
    for item_id, parts in received.items():
        item = items[item_id]
        quantity = sum((q for q, _c in parts), Decimal(0))
        value = sum((q * c for q, c in parts), Decimal(0))
        item.average_cost = weighted_average_cost(
            on_hand=on_hand.get(item_id) or Decimal(0),
            cost=item.average_cost,
            received=quantity,
            unit_cost=value / quantity,
        )
        item.save(update_fields=["average_cost", "updated_at"])
    return stock_apply(
        property=property,
        moves=[
            Move(item_id, location_id, quantity, Kind.RECEIPT, unit_cost=unit_cost)
            for item_id, quantity, unit_cost in lines
        ],
        reference=reference,
        actor=actor,
    )
