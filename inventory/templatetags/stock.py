"""`{{ quantity|stock_quantity:item.base_unit }}`: a stock quantity with its unit, in the
active language ("1 350 ml", "11 pieces", "1 pièce")."""

from django import template
from django.utils.translation import ngettext

from core import formatting

register = template.Library()


@register.filter(name="stock_quantity")
def stock_quantity(value, unit: str) -> str:
    if value is None or value == "":
        return formatting.EMPTY
    shown = formatting.number(value, 0)
    if unit == "piece":
        count = abs(value)
        return ngettext("%(n)s piece", "%(n)s pieces", 1 if count == 1 else 2) % {"n": shown}
    return f"{shown}\u00a0{unit}"
