"""One price everywhere (PRC-4): the POS, the front desk, the booking engine, OTA imports and
the API all call `quote()`, so the same thing costs the same on every channel.

Resolution for a product on a service date:
1. the rate plans the caller may use (active, allowed on the channel, public or one of the
   customer's negotiated plans), highest priority first;
2. in the first plan that prices the product: a price for the date's season and the channel,
   else for the season, else for the channel, else the plan's default;
3. no plan prices it: the catalog's public price.
Then the best promotion or automatic rule that applies (windows, conditions, stock cap).
The line records what was applied (`applied_rule`), e.g. "rate:web season:high promo:brk20".

A quote writes nothing and runs a constant number of queries whatever its number of lines.
`promotions_consume` takes the offer stock inside the sale's transaction.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import F
from django.utils.translation import gettext as _

from core.cache_tokens import versioned_get, versioned_get_many
from core.exceptions import InvalidInput, PermissionDenied
from core.models import Property
from core.money import ZERO, quantize, vat_from_gross
from inventory.catalog_cache import catalog_changed, catalog_version
from inventory.exceptions import OfferExhausted
from inventory.lock_objects import promotions_for_update
from inventory.models import (
    CapacityPool,
    DailyRate,
    Modifier,
    Price,
    Product,
    Promotion,
    RatePlan,
    RevenueCategory,
    SeasonPeriod,
    Variant,
)

MAX_QUANTITY = Decimal("10000")


@dataclass(frozen=True)
class QuoteLineInput:
    product_id: int
    quantity: Decimal = Decimal("1")
    variant_id: int | None = None
    modifier_ids: tuple[int, ...] = ()
    start: date | None = None  # service date; arrival for nights
    end: date | None = None  # departure (exclusive) for nights
    slot_time: time | None = None
    unit_price_override: Decimal | None = None
    note: str = ""


@dataclass
class QuotedLine:
    product: Product
    variant: Variant | None
    modifiers: list[Modifier]
    quantity: Decimal
    unit_price: Decimal  # average per unit (per night for nights), incl. VAT
    total: Decimal
    discount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    net: Decimal
    revenue_category: str
    applied_rule: str
    description: str
    input: QuoteLineInput
    nightly: list[tuple[date, Decimal]] = field(default_factory=list)
    promotion_id: int | None = None

    @property
    def is_nights(self) -> bool:
        pool = self.product.capacity_pool
        return pool is not None and pool.kind == CapacityPool.Kind.NIGHT


@dataclass
class Quote:
    lines: list[QuotedLine]
    currency: str
    capped_promotions: frozenset[int] = frozenset()

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)

    @property
    def vat_by_rate(self) -> dict[Decimal, dict[str, Decimal]]:
        """{rate: {net, vat, gross}} — the sum of the rounded lines (VAT is computed per line)."""
        out: dict[Decimal, dict[str, Decimal]] = {}
        for line in self.lines:
            row = out.setdefault(line.vat_rate, {"net": ZERO, "vat": ZERO, "gross": ZERO})
            row["net"] += line.net
            row["vat"] += line.vat_amount
            row["gross"] += line.total
        return dict(sorted(out.items(), reverse=True))

    def promotion_units(self) -> dict[int, int]:
        units: dict[int, int] = defaultdict(int)
        for line in self.lines:
            if line.promotion_id is not None:
                units[line.promotion_id] += int(line.quantity)
        return dict(units)


def _validate_quantity(product: Product, quantity: Decimal) -> Decimal:
    if not isinstance(quantity, Decimal):
        try:
            quantity = Decimal(str(quantity))
        except Exception:
            raise InvalidInput(_("The quantity is not a number."))
    if quantity <= 0:
        raise InvalidInput(_("The quantity of %(name)s must be positive.") % {"name": product.name})
    if quantity > MAX_QUANTITY:
        raise InvalidInput(_("The quantity of %(name)s is too large.") % {"name": product.name})
    if quantity != quantity.to_integral_value() and not product.allow_fractional_quantity:
        raise InvalidInput(_("%(name)s is sold in whole units only.") % {"name": product.name})
    if product.capacity_pool_id and quantity != quantity.to_integral_value():
        raise InvalidInput(_("%(name)s is sold in whole units only.") % {"name": product.name})
    return quantity


# {(property id, catalogue token): the configuration}: what every quote reads, kept as objects
# by each worker under the catalogue token the request read (every change of a plan, a season,
# an offer or an offer's stock drops that token, pricing_config_invalidate). Nothing to ask
# Redis, nothing to unpickle on a warm quote; the next request after a change reads the new
# token, then the rows. Read-only: a quote filters and sorts its own lists of them.
_CONFIGS: dict[tuple[int, str], dict] = {}
_CONFIGS_MAX = 64  # properties × tokens kept; older tokens are left behind: start again


def pricing_config(*, property: Property) -> dict:
    """Rate plans, season periods and promotions of a property: read by every quote, changed
    rarely. The worker's copy under the catalogue token, else the shared cache's under the
    same token (another worker read the rows), else the rows."""
    token = catalog_version(property_id=property.pk)  # before reading any row
    config = _CONFIGS.get((property.pk, token))
    if config is not None:
        return config
    key = f"inventory:pricing-config:v2:{property.pk}:{token}"
    config = versioned_get(key)
    if config is None:
        config = {
            "plans": list(RatePlan.objects.filter(property=property, is_active=True)),
            "periods": list(
                SeasonPeriod.objects.filter(season__property=property).select_related("season")
            ),
            "promotions": list(
                Promotion.objects.filter(property=property, is_active=True).prefetch_related(
                    "products", "seasons"
                )
            ),
        }
        cache.set(key, config, timeout=PRICES_CACHE_SECONDS)
    if len(_CONFIGS) >= _CONFIGS_MAX:
        _CONFIGS.clear()
    _CONFIGS[(property.pk, token)] = config
    return config


def pricing_config_invalidate(*, property_id: int) -> None:
    """A plan, a season, an offer or an offer's stock changed: a new catalogue token, now and
    again after commit (so a quote running during the writing transaction cannot keep the
    old state under the new token). The configuration, and the prices cached from quotes
    (the waiter's tab), are keyed by it."""
    catalog_changed(property_id=property_id)


PRICES_CACHE_SECONDS = 3600


def _product_prices(*, property: Property, product_ids: set[int]) -> dict:
    """{product id: (its prices in every rate plan of the property, its daily rates
    {(plan id, day): price})}, each product's entry in the cache under the catalog token (any
    change to a price, a daily rate, a plan or a season makes a new one): a till or a tablet
    sells the same few products all day, and their prices are read once instead of by every
    quote. Every plan's, active or not: the cached entry does not depend on the (separately
    cached) plans a quote then picks from it."""
    token = catalog_version(property_id=property.pk)  # before reading any row
    keys = {pk: f"inventory:product-prices:v2:{property.pk}:{token}:{pk}" for pk in product_ids}
    found = versioned_get_many(list(keys.values()))
    missing = [pk for pk, key in keys.items() if key not in found]
    if missing:
        rows: dict[int, tuple[list[Price], dict]] = {pk: ([], {}) for pk in missing}
        for price in Price.objects.filter(
            rate_plan__property=property, product_id__in=missing
        ).select_related("season"):
            rows[price.product_id][0].append(price)
        for product_id, plan_id, day, amount in DailyRate.objects.filter(
            rate_plan__property=property, product_id__in=missing
        ).values_list("product_id", "rate_plan_id", "day", "price"):
            rows[product_id][1][(plan_id, day)] = amount
        fresh = {keys[pk]: rows[pk] for pk in missing}
        cache.set_many(fresh, timeout=PRICES_CACHE_SECONDS)
        found.update(fresh)
    return {pk: found[key] for pk, key in keys.items()}


class _PriceBook:
    """Everything a quote needs, loaded in a fixed number of queries."""

    def __init__(
        self,
        *,
        property: Property,
        channel: str,
        product_ids: set[int],
        rate_plan_ids: Sequence[int],
        only_rate_plan_id: int | None = None,
        all_plans: bool = False,
    ):
        entitled = set(rate_plan_ids)
        config = pricing_config(property=property)
        self.plans = [
            p
            for p in config["plans"]
            if all_plans
            or ((p.is_public or p.pk in entitled) and (not p.channels or channel in p.channels))
        ]
        if only_rate_plan_id is not None:
            # the desk sells one chosen plan: only if the caller may sell it at all
            self.plans = [p for p in self.plans if p.pk == only_rate_plan_id]
            if not self.plans:
                raise InvalidInput(
                    _("This rate plan cannot be sold here."), extra={"field": "rate_plan"}
                )
        self.plans.sort(key=lambda p: (-p.priority, p.code))
        wanted = {p.pk for p in self.plans}
        self.prices: dict[tuple[int, int], list[Price]] = defaultdict(list)
        self.daily: dict[tuple[int, int, date], Decimal] = {}
        loaded = _product_prices(property=property, product_ids=product_ids)
        for product_id, (product_prices, daily) in loaded.items():
            for price in product_prices:
                if price.rate_plan_id in wanted:
                    self.prices[(price.rate_plan_id, price.product_id)].append(price)
            for (plan_id, day), amount in daily.items():
                if plan_id in wanted:
                    self.daily[(plan_id, product_id, day)] = amount
        self.periods = config["periods"]
        self.promotions = config["promotions"]
        self.channel = channel

    def seasons_on(self, day: date) -> set[int]:
        return {p.season_id for p in self.periods if p.start <= day < p.end}

    def season_code(self, day: date) -> str:
        for period in self.periods:
            if period.start <= day < period.end:
                return period.season.code
        return ""

    def plan_price(
        self, plan: RatePlan, product: Product, day: date, seasons: set[int]
    ) -> tuple[Decimal, str] | None:
        """What one plan charges for the product on the day, or None if it does not price it:
        the calendar's daily rate, else the season's and channel's price, else its default."""
        daily = self.daily.get((plan.pk, product.pk, day))
        if daily is not None:  # set on the rates calendar: beats the season's price
            return daily, f"rate:{plan.code} day"
        candidates = self.prices.get((plan.pk, product.pk))
        if not candidates:
            return None
        ranked = sorted(
            (
                p
                for p in candidates
                if (p.season_id is None or p.season_id in seasons)
                and (not p.channel or p.channel == self.channel)
            ),
            key=lambda p: (p.season_id is None, not p.channel),
        )
        if not ranked:
            return None
        chosen = ranked[0]
        rule = f"rate:{plan.code}"
        if chosen.season_id:
            rule += f" season:{chosen.season.code}"
        return chosen.price, rule

    def base_price(self, product: Product, day: date) -> tuple[Decimal, str]:
        seasons = self.seasons_on(day)
        for plan in self.plans:
            found = self.plan_price(plan, product, day, seasons)
            if found is not None:
                return found
        return product.price, "public"

    def best_promotion(
        self, *, product: Product, day: date, booking_date: date, stay_nights: int, units: int
    ) -> Promotion | None:
        best = None
        best_key = None
        for promo in self.promotions:
            if not self._applies(
                promo,
                product=product,
                day=day,
                booking_date=booking_date,
                stay_nights=stay_nights,
                units=units,
            ):
                continue
            key = (promo.priority, promo.percent_off or ZERO, promo.amount_off or ZERO)
            if best_key is None or key > best_key:
                best, best_key = promo, key
        return best

    def _applies(
        self,
        promo: Promotion,
        *,
        product: Product,
        day: date,
        booking_date: date,
        stay_nights: int,
        units: int,
    ) -> bool:
        products = promo.products.all()
        if products and product not in products:
            return False
        if promo.revenue_categories and product.revenue_category not in promo.revenue_categories:
            return False
        if promo.channels and self.channel not in promo.channels:
            return False
        if promo.sale_from and booking_date < promo.sale_from:
            return False
        if promo.sale_until and booking_date > promo.sale_until:
            return False
        if promo.stay_from and day < promo.stay_from:
            return False
        if promo.stay_until and day > promo.stay_until:
            return False
        if promo.min_nights and stay_nights < promo.min_nights:
            return False
        if promo.min_days_before is not None and (day - booking_date).days < promo.min_days_before:
            return False
        seasons = promo.seasons.all()
        if seasons and not ({s.pk for s in seasons} & self.seasons_on(day)):
            return False
        return promo.stock_cap is None or promo.stock_cap - promo.stock_used >= units


def plan_prices(
    *, property: Property, products: Sequence[Product], days: Sequence[date]
) -> dict[tuple[int, int, date], Decimal]:
    """{(plan id, product id, day): price} for every active plan, before promotions, as the
    rates calendar shows and edits them (a plan that does not price a product charges its
    public price). A fixed number of queries (the cached configuration and prices)."""
    if not products:
        return {}
    book = _PriceBook(
        property=property,
        channel="",
        product_ids={p.pk for p in products},
        rate_plan_ids=(),
        all_plans=True,
    )
    out: dict[tuple[int, int, date], Decimal] = {}
    for day in days:
        seasons = book.seasons_on(day)
        for plan in book.plans:
            for product in products:
                found = book.plan_price(plan, product, day, seasons)
                out[(plan.pk, product.pk, day)] = found[0] if found else product.price
    return out


def active_plans(*, property: Property) -> list[RatePlan]:
    """The property's active rate plans, highest priority first (cached configuration)."""
    return sorted(pricing_config(property=property)["plans"], key=lambda p: (-p.priority, p.code))


def _discounted(price: Decimal, promo: Promotion | None) -> Decimal:
    if promo is None:
        return price
    if promo.percent_off is not None:
        price = price * (Decimal(100) - promo.percent_off) / Decimal(100)
    if promo.amount_off is not None:
        price = price - promo.amount_off
    return max(quantize(price), ZERO)


def quote(
    *,
    property: Property,
    channel: str,
    lines: Sequence[QuoteLineInput],
    booking_date: date | None = None,
    rate_plan_ids: Sequence[int] = (),
    allow_price_override: bool = False,
    products: Mapping[int, Product] | None = None,
    only_rate_plan_id: int | None = None,
) -> Quote:
    """Price `lines` for `channel`. Raises InvalidInput (422) on unknown products, bad
    quantities or dates, PermissionDenied (403) on a price override without the right.

    `only_rate_plan_id` prices in that plan alone (the desk offers each plan it may sell);
    InvalidInput when the plan is not sellable on the channel to this customer.

    `products` ({pk: Product} with `capacity_pool` loaded) saves the catalog query when the
    caller has just read them (an API resolving product codes); only the active products of
    `property` among them are used."""
    if not lines:
        raise InvalidInput(_("Nothing to price."))
    booking_date = booking_date or property.business_date()
    product_ids = {line.product_id for line in lines}
    if products is not None and product_ids <= set(products):
        products = {
            pk: p
            for pk in product_ids
            if (p := products[pk]).property_id == property.pk and p.is_active
        }
    else:
        products = {
            p.pk: p
            for p in Product.objects.filter(
                property=property, pk__in=product_ids, is_active=True
            ).select_related("capacity_pool")
        }
    missing = product_ids - set(products)
    if missing:
        raise InvalidInput(
            _("Unknown product: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
            extra={"unknown_products": sorted(missing)},
        )
    # most sales have neither: building an empty query costs as much as running one
    variant_ids = {line.variant_id for line in lines if line.variant_id}
    variants = (
        {v.pk: v for v in Variant.objects.filter(pk__in=variant_ids, product__property=property)}
        if variant_ids
        else {}
    )
    modifier_ids = {m for line in lines for m in line.modifier_ids}
    modifiers = (
        {
            m.pk: m
            for m in Modifier.objects.filter(
                pk__in=modifier_ids, group__property=property
            ).prefetch_related("group__products")
        }
        if modifier_ids
        else {}
    )
    book = _PriceBook(
        property=property,
        channel=channel,
        product_ids=set(products),
        rate_plan_ids=rate_plan_ids,
        only_rate_plan_id=only_rate_plan_id,
    )

    # the stay length that promotions' "minimum nights" read: the longest stay in the quote
    stay_nights = 0
    for line in lines:
        product = products[line.product_id]
        if product.capacity_pool and product.capacity_pool.kind == CapacityPool.Kind.NIGHT:
            if line.start is None or line.end is None or line.end <= line.start:
                raise InvalidInput(_("The departure must be after the arrival."))
            stay_nights = max(stay_nights, (line.end - line.start).days)

    quoted = []
    for line in lines:
        product = products[line.product_id]
        quantity = _validate_quantity(product, line.quantity)
        if line.variant_id and (
            line.variant_id not in variants or variants[line.variant_id].product_id != product.pk
        ):
            raise InvalidInput(_("Unknown variant for %(name)s.") % {"name": product.name})
        chosen_modifiers = []
        for modifier_id in line.modifier_ids:
            modifier = modifiers.get(modifier_id)
            if modifier is None or product not in modifier.group.products.all():
                raise InvalidInput(_("Unknown option for %(name)s.") % {"name": product.name})
            chosen_modifiers.append(modifier)
        variant = variants.get(line.variant_id) if line.variant_id else None
        extras = (variant.price_delta if variant else ZERO) + sum(
            (m.price_delta for m in chosen_modifiers), ZERO
        )
        pool = product.capacity_pool
        is_nights = pool is not None and pool.kind == CapacityPool.Kind.NIGHT
        if is_nights:
            days = [line.start + timedelta(days=i) for i in range((line.end - line.start).days)]
        else:
            days = [line.start or booking_date]
        if (
            pool is not None
            and pool.kind in (CapacityPool.Kind.SLOT, CapacityPool.Kind.DAY)
            and line.start is None
        ):
            raise InvalidInput(_("Choose a date for %(name)s.") % {"name": product.name})

        if line.unit_price_override is not None:
            if not allow_price_override:
                raise PermissionDenied(_("You are not allowed to change prices."))
            if line.unit_price_override < 0:
                raise InvalidInput(_("A price cannot be negative."))
            nightly = [(d, quantize(line.unit_price_override)) for d in days]
            rule = "override"
            promo = None
            discount = ZERO
        else:
            nightly = []
            rules = set()
            promo = None
            discount = ZERO
            for day in days:
                base, rule = book.base_price(product, day)
                base = base + extras
                found = book.best_promotion(
                    product=product,
                    day=day,
                    booking_date=booking_date,
                    stay_nights=stay_nights,
                    units=int(quantity),
                )
                price = _discounted(base, found)
                if found is not None:
                    promo = found
                    rule += f" promo:{found.code}"
                discount += base - price
                nightly.append((day, quantize(price)))
                rules.add(rule)
            rule = "; ".join(sorted(rules))
        per_unit_total = sum((p for _, p in nightly), ZERO)
        total = quantize(per_unit_total * quantity)
        unit_price = quantize(per_unit_total / len(nightly)) if nightly else ZERO
        vat_amount = vat_from_gross(total, product.vat_rate)
        description = product.name
        if variant:
            description += f" ({variant.name})"
        if chosen_modifiers:
            description += " + " + ", ".join(m.name for m in chosen_modifiers)
        quoted.append(
            QuotedLine(
                product=product,
                variant=variant,
                modifiers=chosen_modifiers,
                quantity=quantity,
                unit_price=unit_price,
                total=total,
                discount=quantize(discount * quantity),
                vat_rate=product.vat_rate,
                vat_amount=vat_amount,
                net=total - vat_amount,
                revenue_category=product.revenue_category or RevenueCategory.GOODS,
                applied_rule=rule[:200],
                description=description[:300],
                input=line,
                nightly=nightly if is_nights else [],
                promotion_id=promo.pk if promo else None,
            )
        )
    return Quote(
        lines=quoted,
        currency=property.currency,
        capped_promotions=frozenset(p.pk for p in book.promotions if p.stock_cap is not None),
    )


def promotions_consume(*, quote: Quote) -> None:
    """Take the offer stock of the quote's capped promotions, inside the sale's transaction.

    Locks: the Promotion rows (pk order). Raises OfferExhausted when another sale took the
    last units since the quote: the caller re-quotes and shows the new price."""
    units = {pk: n for pk, n in quote.promotion_units().items() if pk in quote.capped_promotions}
    if not units:
        return  # no offer with a stock cap in this sale: nothing to lock
    capped = promotions_for_update(list(units))
    for promo in capped:
        if promo.stock_used + units[promo.pk] > promo.stock_cap:
            raise OfferExhausted(
                _("The offer “%(name)s” is no longer available.") % {"name": promo.name}
            )
        Promotion.objects.filter(pk=promo.pk).update(stock_used=F("stock_used") + units[promo.pk])
    if capped:
        pricing_config_invalidate(property_id=capped[0].property_id)
