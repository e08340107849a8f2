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
