"""The rates calendar's writes (PRC-1, INV-4): daily prices per rate plan over a date range
and weekdays ("+10 % on Fridays and Saturdays in July"), stop-sells per channel, seasons and
their periods, and a pool's capacity rules.

Each edit is one transaction with bulk writes, one audit row per product or pool carrying
every changed day before → after (the cell history reads them), and drops the catalogue
token so the booking engine, the POS, the API quote and the feeds price the new rows at once.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput, NotFound
from core.models import Property
from core.money import ZERO, quantize
from inventory.catalog_cache import catalog_changed
from inventory.lock_objects import pool_for_update, rate_plan_for_update
from inventory.models import (
    CapacityPool,
    Channel,
    DailyRate,
    Product,
    RatePlan,
    Season,
    SeasonPeriod,
    StopSell,
)
from inventory.services.pricing import plan_prices, pricing_config_invalidate

MAX_DAYS = 366
WEEKDAYS = range(7)  # Monday = 0, as date.weekday()
RATES_AUDIT_ACTION = "inventory.rates.changed"
STOP_SELL_AUDIT_ACTION = "inventory.stop_sell.changed"


@dataclass(frozen=True)
class DayRange:
    """The days of [start, end] (inclusive: what a manager types) falling on `weekdays`."""

    start: date
    end: date
    weekdays: frozenset[int]

    def days(self) -> list[date]:
        return [
            self.start + timedelta(days=i)
            for i in range((self.end - self.start).days + 1)
            if (self.start + timedelta(days=i)).weekday() in self.weekdays
        ]


def day_range(*, start: date | None, end: date | None, weekdays: Iterable[int]) -> DayRange:
    """Validate a calendar selection. Raises InvalidInput naming the field."""
    if start is None or end is None:
        raise InvalidInput(_("Give the first and the last day."), extra={"field": "start"})
    if end < start:
        raise InvalidInput(_("The last day is before the first day."), extra={"field": "end"})
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(_("Edit at most one year at a time."), extra={"field": "end"})
    chosen = frozenset(int(w) for w in weekdays)
    if not chosen:
        raise InvalidInput(_("Choose at least one day of the week."), extra={"field": "weekdays"})
    if not chosen <= set(WEEKDAYS):
        raise InvalidInput(_("Unknown day of the week."), extra={"field": "weekdays"})
    selection = DayRange(start, end, chosen)
    if not selection.days():
        raise InvalidInput(
            _("None of the chosen days of the week falls between these dates."),
            extra={"field": "weekdays"},
        )
    return selection


def parse_amount(raw: str | Decimal | None, *, field: str) -> Decimal | None:
    """A price or a change typed in French or English ("187,50"); None when empty."""
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw).replace("\u202f", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(_("Enter a number."), extra={"field": field})
    if not value.is_finite():
        raise InvalidInput(_("Enter a number."), extra={"field": field})
    return value


@transaction.atomic
def rates_bulk_edit(
    *,
    property: Property,
    rate_plan: RatePlan,
    products: Sequence[Product],
    selection: DayRange,
    set_price: Decimal | None = None,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
    actor=None,
) -> int:
    """Set, or change by a percentage or an amount, the price of `products` in `rate_plan`
    on the selected days. Returns the number of cells written.

    Locks: the RatePlan row (two edits of one plan queue). One read of the current prices,
    one bulk upsert, one audit row per product. Raises InvalidInput: no change given, two
    given, a price that would be negative, a product or plan of another property."""
    given = [v for v in (set_price, percent, amount) if v is not None]
    if len(given) != 1:
        raise InvalidInput(
            _("Give a new price, a percentage or an amount (one of them)."),
            extra={"field": "change"},
        )
    if set_price is not None and set_price < 0:
        raise InvalidInput(_("A price cannot be negative."), extra={"field": "set_price"})
    if percent is not None and percent <= Decimal("-100"):
        raise InvalidInput(
            _("A decrease of 100 % or more leaves no price."), extra={"field": "percent"}
        )
    if not products:
        raise InvalidInput(_("Choose at least one product."), extra={"field": "products"})
    if rate_plan.property_id != property.pk or any(p.property_id != property.pk for p in products):
        raise NotFound()
    if rate_plan_for_update(property_id=property.pk, pk=rate_plan.pk) is None:
        raise NotFound()
    days = selection.days()
    current = plan_prices(property=property, products=products, days=days)
    rows: list[DailyRate] = []
    changes: dict[int, dict[str, list[str]]] = {p.pk: {} for p in products}
    for product in products:
        for day in days:
            before = current[(rate_plan.pk, product.pk, day)]
            if set_price is not None:
                after = set_price
            elif percent is not None:
                after = before * (Decimal(100) + percent) / Decimal(100)
            else:
                after = before + amount
            after = quantize(after)
            if after < ZERO:
                raise InvalidInput(
                    _("%(name)s would cost less than nothing on %(day)s.")
                    % {"name": product.name, "day": f"{day:%d/%m/%Y}"},
                    extra={"field": "amount"},
                )
            rows.append(DailyRate(rate_plan=rate_plan, product=product, day=day, price=after))
            if after != before:
                changes[product.pk][day.isoformat()] = [str(before), str(after)]
    DailyRate.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["rate_plan", "product", "day"],
        update_fields=["price", "updated_at"],
        batch_size=1000,
    )
    for product in products:
        if changes[product.pk]:
            audit_log(
                action=RATES_AUDIT_ACTION,
                property=property,
                actor=actor,
                target=product,
                data={
                    "model": "inventory.dailyrate",
                    "rate_plan": rate_plan.code,
                    "field": "price",
                    "days": changes[product.pk],
                },
            )
    catalog_changed(property_id=property.pk)  # bulk writes send no signal
    return len(rows)


def _runs(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive days as [start, end) ranges."""
    out: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if out and out[-1][1] == day:
            out[-1] = (out[-1][0], day + timedelta(days=1))
        else:
            out.append((day, day + timedelta(days=1)))
    return out


def stop_sell_channels() -> list[tuple[str, str]]:
    """The (channel, OTA name) pairs a stop-sell can close, as the calendar lists them."""
    return [
        (Channel.BOOKING_ENGINE, ""),
        (Channel.OTA, ""),
        (Channel.OTA, "airbnb"),
        (Channel.OTA, "booking"),
        (Channel.OTA, "vrbo"),
        (Channel.API, ""),
        (Channel.FRONT_DESK, ""),
        (Channel.POS, ""),
    ]


@transaction.atomic
def stop_sell_set(
    *,
    property: Property,
    pools: Sequence[CapacityPool],
    channel: str,
    channel_name: str = "",
    selection: DayRange,
    closed: bool,
    actor=None,
) -> int:
    """Close (or open again) the selected days of `pools` on one channel — or one OTA's
    calendar (`channel_name`, e.g. "airbnb", whose iCal feed then shows them unavailable).

    The pool's stop-sells on that channel are rewritten as runs of consecutive days (one
    delete, one bulk insert). Locks: each pool (pk order). Returns the days changed."""
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."), extra={"field": "channel"})
    channel_name = (channel_name or "").strip().lower()[:50]
    if channel_name and channel != Channel.OTA:
        raise InvalidInput(_("Only an OTA has calendars of its own."), extra={"field": "channel"})
    if not pools:
        raise InvalidInput(_("Choose at least one product."), extra={"field": "products"})
    chosen = set(selection.days())
    changed = 0
    for pool in sorted(pools, key=lambda p: p.pk):
        if pool_for_update(property_id=property.pk, pk=pool.pk) is None:
            raise NotFound()
        existing = list(
            StopSell.objects.filter(pool=pool, channel=channel, channel_name=channel_name)
        )
        closed_days: set[date] = set()
        reasons = {}
        for stop in existing:
            for i in range((stop.end - stop.start).days):
                closed_days.add(stop.start + timedelta(days=i))
                reasons[stop.start + timedelta(days=i)] = stop.reason
        after = closed_days | chosen if closed else closed_days - chosen
        if after == closed_days:
            continue
        diff = sorted(after ^ closed_days)
        changed += len(diff)
        StopSell.objects.filter(pk__in=[s.pk for s in existing]).delete()
        StopSell.objects.bulk_create(
            [
                StopSell(
                    pool=pool,
                    channel=channel,
                    channel_name=channel_name,
                    start=start,
                    end=end,
                    reason=reasons.get(start, ""),
                )
                for start, end in _runs(sorted(after))
            ]
        )
        audit_log(
            action=STOP_SELL_AUDIT_ACTION,
            property=property,
            actor=actor,
            target=pool,
            data={
                "model": "inventory.stopsell",
                "channel": channel,
                "channel_name": channel_name,
                "field": "stop_sell",
                "days": {d.isoformat(): [str(d in closed_days), str(d in after)] for d in diff},
            },
        )
    if changed:
        stop_sells_changed(property_id=property.pk)
    return changed


def stop_sells_changed(*, property_id: int) -> None:
    """Bulk writes send no signal: say so to those who cache availability (the iCal feeds'
    calendar version, through inventory.signals.stop_sells_changed)."""
    from inventory.signals import stop_sells_changed as signal

    signal.send(sender=StopSell, property_id=property_id)
    catalog_changed(property_id=property_id)


# --- seasons -------------------------------------------------------------------------------


@transaction.atomic
def season_create(*, property: Property, code: str, name: str, actor=None) -> Season:
    """A named season (high, low…) that prices and promotions refer to."""
    code = (code or "").strip().lower()
    name = (name or "").strip()
    if not code or not name:
        raise InvalidInput(_("Give the season a code and a name."), extra={"field": "code"})
    if Season.objects.filter(property=property, code=code).exists():
        raise InvalidInput(_("A season already has this code."), extra={"field": "code"})
    season = Season.objects.create(property=property, code=code[:30], name=name[:100])
    audit_log(
        action="inventory.season.created",
        property=property,
        actor=actor,
        target=season,
        data={"model": "inventory.season", "after": {"code": season.code, "name": season.name}},
    )
    return season


@transaction.atomic
def season_period_add(
    *, property: Property, season: Season, start: date | None, end: date | None, actor=None
) -> SeasonPeriod:
    """Add [start, end] (inclusive) to a season. Two seasons on one day would contradict
    (which price applies?), so a period overlapping another one is refused, naming it.
    Locks: the property's season periods (read under lock so two adds cannot both pass)."""
    if season.property_id != property.pk:
        raise NotFound()
    if start is None or end is None:
        raise InvalidInput(_("Give the first and the last day."), extra={"field": "start"})
    if end < start:
        raise InvalidInput(_("The last day is before the first day."), extra={"field": "end"})
    stop = end + timedelta(days=1)  # stored exclusive
    clash = (
        SeasonPeriod.objects.select_for_update()
        .filter(season__property=property, start__lt=stop, end__gt=start)
        .select_related("season")
        .order_by("start")
        .first()
    )
    if clash is not None:
        raise InvalidInput(
            _(
                "These dates overlap “%(name)s” (%(start)s – %(end)s): a day can be in one "
                "season only."
            )
            % {
                "name": clash.season.name,
                "start": f"{clash.start:%d/%m/%Y}",
                "end": f"{clash.end - timedelta(days=1):%d/%m/%Y}",
            },
            extra={"field": "start"},
        )
    period = SeasonPeriod.objects.create(season=season, start=start, end=stop)
    audit_log(
        action="inventory.season.period_added",
        property=property,
        actor=actor,
        target=season,
        data={
            "model": "inventory.seasonperiod",
            "after": {"start": start.isoformat(), "end": end.isoformat()},
        },
    )
    return period


@transaction.atomic
def season_period_delete(*, property: Property, period: SeasonPeriod, actor=None) -> None:
    if period.season.property_id != property.pk:
        raise NotFound()
    before = {
        "start": period.start.isoformat(),
        "end": (period.end - timedelta(days=1)).isoformat(),
    }
    season = period.season
    period.delete()
    audit_log(
        action="inventory.season.period_deleted",
        property=property,
        actor=actor,
        target=season,
        data={"model": "inventory.seasonperiod", "before": before},
    )
    pricing_config_invalidate(property_id=property.pk)


# --- capacity rules ------------------------------------------------------------------------

POOL_RULE_FIELDS = (
    "default_capacity",
    "hold_back_onsite",
    "online_close_at_sold",
    "slot_times",
    "reorder_point",
)


@transaction.atomic
def pool_rules_update(
    *,
    property: Property,
    pool: CapacityPool,
    default_capacity: int,
    hold_back_onsite: int,
    online_close_at_sold: int | None,
    slot_times: list[str],
    reorder_point: int | None,
    actor=None,
) -> CapacityPool:
    """INV-4 on screen: units held back for on-site sale, the online auto-close threshold,
    a slot pool's start times (cabins, therapists), a pass quota or a stock's default size.

    Locks: the pool. Raises InvalidInput on negative numbers, a hold-back above the capacity,
    malformed slot times."""
    locked = pool_for_update(property_id=property.pk, pk=pool.pk)
    if locked is None:
        raise NotFound()
    for name, value in (
        ("default_capacity", default_capacity),
        ("hold_back_onsite", hold_back_onsite),
        ("online_close_at_sold", online_close_at_sold),
        ("reorder_point", reorder_point),
    ):
        if value is not None and value < 0:
            raise InvalidInput(_("Enter a number of 0 or more."), extra={"field": name})
    if locked.kind != CapacityPool.Kind.NIGHT and hold_back_onsite > default_capacity:
        raise InvalidInput(
            _("You cannot hold back more units than the capacity."),
            extra={"field": "hold_back_onsite"},
        )
    times: list[str] = []
    if locked.kind == CapacityPool.Kind.SLOT:
        from datetime import time

        for raw in slot_times:
            try:
                times.append(time.fromisoformat(raw.strip()).strftime("%H:%M"))
            except ValueError:
                raise InvalidInput(
                    _("“%(value)s” is not a time such as 14:30.") % {"value": raw},
                    extra={"field": "slot_times"},
                )
        if not times:
            raise InvalidInput(
                _("A timed pool needs at least one slot."), extra={"field": "slot_times"}
            )
        times = sorted(set(times))
    before = {f: getattr(locked, f) for f in POOL_RULE_FIELDS}
    if locked.kind != CapacityPool.Kind.NIGHT:  # a room type's nights follow its rooms
        locked.default_capacity = default_capacity
    locked.hold_back_onsite = hold_back_onsite
    locked.online_close_at_sold = online_close_at_sold
    locked.reorder_point = reorder_point
    if locked.kind == CapacityPool.Kind.SLOT:
        locked.slot_times = times
    locked.save()
    after = {f: getattr(locked, f) for f in POOL_RULE_FIELDS}
    if before != after:
        audit_log(
            action="inventory.pool.rules_changed",
            property=property,
            actor=actor,
            target=locked,
            data={"model": "inventory.capacitypool", "before": before, "after": after},
        )
    return locked


# --- a room type's nights (pms calls these: it never writes inventory's rows itself) -------


@transaction.atomic
def night_product_create(
    *,
    property: Property,
    code: str,
    name_fr: str,
    name_en: str,
    price: Decimal,
    vat_rate: Decimal = Decimal("10.00"),
) -> Product:
    """The product a new room type sells as nights, with its NIGHT pool (empty: the rooms
    size it). Raises InvalidInput on a used code or a negative price."""
    from inventory.models import VAT_RATES, RevenueCategory

    code = (code or "").strip().lower()
    if not code:
        raise InvalidInput(_("Give a code."), extra={"field": "code"})
    if price is None or price < 0:
        raise InvalidInput(_("A price cannot be negative."), extra={"field": "price"})
    if vat_rate not in VAT_RATES:
        raise InvalidInput(_("Unknown VAT rate."), extra={"field": "vat_rate"})
    if Product.objects.filter(property=property, code=f"nuit-{code}").exists():
        raise InvalidInput(_("This code is already used."), extra={"field": "code"})
    pool = CapacityPool.objects.create(
        property=property,
        code=f"nuits-{code}"[:50],
        name=f"Nuits {name_fr}"[:100],
        kind=CapacityPool.Kind.NIGHT,
        default_capacity=0,
    )
    return Product.objects.create(
        property=property,
        code=f"nuit-{code}"[:50],
        name_fr=f"Nuit {name_fr}"[:150],
        name_en=f"{name_en} night"[:150] if name_en else "",
        price=quantize(price),
        vat_rate=vat_rate,
        revenue_category=RevenueCategory.ACCOMMODATION,
        capacity_pool=pool,
    )


@transaction.atomic
def product_set_active(*, property: Property, product: Product, is_active: bool) -> Product:
    """Offer a product again, or stop offering it on every channel (kept for the history)."""
    if product.property_id != property.pk:
        raise NotFound()
    if product.is_active != is_active:
        product.is_active = is_active
        product.save(update_fields=["is_active", "updated_at"])
    return product
