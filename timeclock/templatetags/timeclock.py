"""A duration as a person reads it on the hours screens: `36 h 30` (seconds to the minute)."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter(name="duration_hm")
def duration_hm(seconds) -> str:
    try:
        minutes = int(seconds) // 60
    except (TypeError, ValueError):
        return ""
    return _("%(hours)d h %(minutes)02d") % {"hours": minutes // 60, "minutes": minutes % 60}


@register.filter(name="duration_signed")
def duration_signed(seconds) -> str:
    """A difference of hours: `+1 h 30`, `−0 h 45` (a minus sign), `0 h 00`."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return ""
    sign = "+" if seconds > 0 else "−" if seconds < 0 else ""
    return sign + duration_hm(abs(seconds))
