"""How reporting shows numbers. One place on purpose: the shared money filter being added on
another branch replaces `money` here when it lands."""

from decimal import Decimal

from django.utils.formats import number_format


def money(value: Decimal | None) -> str:
    """An amount to two places in the active language (1 234,50 in French), or a dash."""
    if value is None:
        return "—"
    return number_format(
        Decimal(value).quantize(Decimal("0.01")), 2, use_l10n=True, force_grouping=True
    )


def number(value, places: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(value, places, use_l10n=True, force_grouping=True)


def percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return number_format(value, 1, use_l10n=True) + " %"
