"""Money is Decimal, rounded once per line with ROUND_HALF_UP (VAT per line, summed per rate)."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

CURRENCY_PLACES = {"JPY": 0, "KRW": 0}
ZERO = Decimal("0.00")


def money_field(verbose_name=None, **kwargs) -> models.DecimalField:
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 2)
    return models.DecimalField(verbose_name, **kwargs)


def to_money(value: str | int | Decimal) -> Decimal:
    if isinstance(value, float):
        raise TypeError("float is not allowed for money")
    return Decimal(value)


def quantize(amount: Decimal, currency: str = "EUR") -> Decimal:
    places = CURRENCY_PLACES.get(currency, 2)
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def vat_from_gross(gross: Decimal, rate: Decimal, currency: str = "EUR") -> Decimal:
    """VAT inside a tax-inclusive amount, rounded at the line (French prices are TTC)."""
    if rate == 0:
        return quantize(Decimal(0), currency)
    return quantize(gross * rate / (Decimal(100) + rate), currency)


def split_largest_remainder(total: Decimal, weights: dict, currency: str = "EUR") -> dict:
    """`total` shared in proportion to `weights` (non-negative integers: seconds, units) in
    whole cents that sum exactly to `total` (largest remainder, Hamilton's method): each key
    gets its floor, then the cents left go one each to the largest remainders (ties: the
    order of `weights`). Keys of weight 0 get nothing; no weight at all, nothing shared."""
    places = CURRENCY_PLACES.get(currency, 2)
    cents = int((total * 10**places).to_integral_value(rounding=ROUND_HALF_UP))
    weight_sum = sum(weights.values())
    if weight_sum <= 0 or cents <= 0:
        return {key: Decimal(0).scaleb(-places) for key in weights}
    floors = {key: cents * w // weight_sum for key, w in weights.items()}
    remainders = {key: cents * w % weight_sum for key, w in weights.items()}
    left = cents - sum(floors.values())
    order = list(weights)
    for key in sorted(order, key=lambda k: (-remainders[k], order.index(k)))[:left]:
        floors[key] += 1
    return {key: Decimal(value).scaleb(-places) for key, value in floors.items()}


_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")


def amount_text(raw: str | None) -> str:
    """What a person typed for an amount, as Decimal reads it: "1 234,56 €" (the way our
    screens write amounts, with a space or a no-break space between thousands) → "1234.56"."""
    return (raw or "").replace("€", "").translate(_SPACES).replace(",", ".")
