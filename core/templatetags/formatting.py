"""Template filters for money, numbers, rates and dates (core.formatting), built in to every
template (settings TEMPLATES builtins): `{{ total|money }}`, `{{ total|money:ticket.currency }}`,
`{{ qty|number:0 }}`, `{{ line.vat_rate|rate }}`, `{{ day|day }}`."""

from django import template

from core import formatting

register = template.Library()


@register.filter(name="money")
def money(value, currency="EUR"):
    return formatting.money(value, currency or "EUR")


@register.filter(name="number")
def number(value, places=2):
    return formatting.number(value, int(places))


@register.filter(name="rate")
def rate(value):
    return formatting.rate(value)


@register.filter(name="day")
def day(value):
    return formatting.day(value)
