"""How reporting shows numbers. One place on purpose: the shared money filter being added on
another branch replaces `money` here when it lands.

Django's number_format is correct but slow for a year's tables (thousands of cells): the
active language's separators are read once and Python's own formatting does the rest."""

from decimal import Decimal

from django.utils import formats
from django.utils.translation import get_language

_SEPARATORS: dict[str, tuple[str, str]] = {}


def _separators() -> tuple[str, str]:
    language = get_language() or "en"
    if language not in _SEPARATORS:
        _SEPARATORS[language] = (
            formats.get_format("DECIMAL_SEPARATOR", language),
            formats.get_format("THOUSAND_SEPARATOR", language),
        )
    return _SEPARATORS[language]


def _format(value, places: int) -> str:
    decimal, thousands = _separators()
    text = f"{Decimal(value):,.{places}f}"
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)


def money(value: Decimal | None) -> str:
    """An amount to two places in the active language (1 234,50 in French), or a dash."""
    if value is None:
        return "—"
    return _format(value, 2)


def number(value, places: int = 0) -> str:
    if value is None:
        return "—"
    return _format(value, places)


def percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    decimal, _thousands = _separators()
    return f"{Decimal(value):.1f}".replace(".", decimal) + " %"
