"""How reporting shows numbers: as core.formatting does (1 234,50 € in French, €1,234.50 in
English), fast enough for a year's tables (thousands of cells).

Babel's format_currency is exact but slow cell by cell: the active language's pattern is read
from it once (separators, where the euro sign goes) and Python's own formatting does the rest.
"""

from decimal import Decimal

from core import formatting as shared

# language -> (decimal separator, thousands separator, before the amount, after it)
_PATTERNS: dict[str, tuple[str, str, str, str]] = {}
_SAMPLE = Decimal("1234.56")


def _pattern() -> tuple[str, str, str, str]:
    """Read off Babel's own answer for 1234.56 (say "1\u202f234,56\u00a0€" or "€1,234.56")."""
    language = shared._locale()
    if language not in _PATTERNS:
        sample = shared.money(_SAMPLE)
        start, end = sample.index("1"), sample.rindex("6") + 1
        body = sample[start:end]  # 1?234?56
        thousands, decimal = body[1 : body.index("234")], body[body.index("234") + 3 : -2]
        _PATTERNS[language] = (decimal, thousands, sample[:start], sample[end:])
    return _PATTERNS[language]


def _separators() -> tuple[str, str]:
    decimal, thousands, _before, _after = _pattern()
    return decimal, thousands


def _format(value, places: int) -> str:
    decimal, thousands = _separators()
    text = f"{Decimal(value):,.{places}f}"
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)


def money(value: Decimal | None) -> str:
    """An amount to two places with its euro sign in the active language (1 234,50 € in
    French, -€12.00 in English: core.formatting.money's text), or a dash."""
    if value is None:
        return "—"
    _decimal, _thousands, before, after = _pattern()
    amount = Decimal(value)
    text = _format(abs(amount), 2)
    return f"{'-' if amount < 0 else ''}{before}{text}{after}"


def number(value, places: int = 0) -> str:
    if value is None:
        return "—"
    return _format(value, places)


def percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    decimal, _thousands = _separators()
    return f"{Decimal(value):.1f}".replace(".", decimal) + "\u00a0%"
