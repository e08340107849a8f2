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
