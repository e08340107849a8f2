"""One way to show money, numbers and dates to a person, in the active language.

French `1 234,56 €` (narrow no-break space between thousands, no-break space before the
sign), English `€1,234.56`. Babel (CLDR data) places the currency sign and separators per
locale, which Django's number formats alone cannot do. Used by templates (the `money`,
`number`, `rate` and `day` filters of core.templatetags.formatting, built in), messages,
PDFs, e-mails and printed receipts; never for files a machine reads (FEC, CSV, API)."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, format_decimal
from django.utils import formats, translation

EMPTY = "—"
_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def _locale(language: str | None = None) -> str:
    code = (language or translation.get_language() or "fr").split("-")[0].lower()
    return _LOCALES.get(code, "fr_FR")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money(value, currency: str = "EUR", *, language: str | None = None) -> str:
    """An amount with its currency sign: 1 234,56 € / €1,234.56 ("—" for None)."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY if value in (None, "") else str(value)
    if not amount.is_finite():
        return format_currency(amount, currency or "EUR", locale=_locale(language))
    return _currency(str(amount), currency or "EUR", _locale(language))


# Babel's formatting reads its CLDR tables afresh on each call (0.1 ms): a tablet's order
# column shows the same few amounts on every tap. Equal amounts format alike (the currency's
# own decimals), so an amount's text is kept, per currency and locale. Keyed by the amount's
# written form: Decimal("-0.00") == Decimal("0") but Babel writes them apart ("-0,00 €").
@lru_cache(maxsize=4096)
def _currency(amount: str, currency: str, locale: str) -> str:
    return format_currency(Decimal(amount), currency, locale=locale)


def number(value, places: int = 2, *, language: str | None = None) -> str:
    """A plain number with `places` decimals (quantities: places=0 drops a zero fraction)."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY if value in (None, "") else str(value)
    if places == 0:
        pattern = "#,##0.###"
    else:
        pattern = "#,##0." + "0" * places
    return format_decimal(amount, format=pattern, locale=_locale(language))


def rate(value, *, language: str | None = None) -> str:
    """A percentage such as a VAT rate: 20 %, 5,5 % / 20%, 5.5%."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY if value in (None, "") else str(value)
    text = format_decimal(amount, format="#,##0.##", locale=_locale(language))
    return f"{text}\u00a0%" if _locale(language).startswith("fr") else f"{text}%"


def day(value, *, language: str | None = None) -> str:
    """A date (or a date and time) in the short form of the language: 02/12/2026."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    fmt = "SHORT_DATETIME_FORMAT" if isinstance(value, datetime) else "SHORT_DATE_FORMAT"
    if language:
        with translation.override(language):
            return formats.date_format(value, fmt)
    return formats.date_format(value, fmt)
