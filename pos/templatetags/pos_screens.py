"""Small helpers of the staff POS screens: allergens in words a waiter and a cook read at a
glance, the age of a ticket or a table in minutes."""

from django import template
from django.utils import timezone
from django.utils.translation import pgettext_lazy

register = template.Library()

# short names for a tile or a ticket (the regulation's full names are inventory.ALLERGENS)
SHORT_ALLERGENS = {
    "gluten": pgettext_lazy("allergen", "Gluten"),
    "crustaceans": pgettext_lazy("allergen", "Crustaceans"),
    "eggs": pgettext_lazy("allergen", "Eggs"),
    "fish": pgettext_lazy("allergen", "Fish"),
    "peanuts": pgettext_lazy("allergen", "Peanuts"),
    "soybeans": pgettext_lazy("allergen", "Soy"),
    "milk": pgettext_lazy("allergen", "Milk"),
    "nuts": pgettext_lazy("allergen", "Nuts"),
    "celery": pgettext_lazy("allergen", "Celery"),
    "mustard": pgettext_lazy("allergen", "Mustard"),
    "sesame": pgettext_lazy("allergen", "Sesame"),
    "sulphites": pgettext_lazy("allergen", "Sulphites"),
    "lupin": pgettext_lazy("allergen", "Lupin"),
    "molluscs": pgettext_lazy("allergen", "Molluscs"),
}


@register.filter
def allergen_names(codes) -> list[str]:
    """The product's allergen codes as short names, in the regulation's order."""
    codes = set(codes or ())
    return [str(name) for code, name in SHORT_ALLERGENS.items() if code in codes]


@register.filter
def minutes_since(moment, now=None) -> int:
    """Whole minutes from `moment` to now (0 for a moment in the future)."""
    if moment is None:
        return 0
    seconds = ((now or timezone.now()) - moment).total_seconds()
    return max(0, int(seconds // 60))


@register.filter
def has_required_group(groups) -> bool:
    """Whether a dish asks a choice before it is added (a steak's cooking): only then does
    its sheet open; a dish whose groups are all optional is added in one tap."""
    return any(group.min_choices for group in groups)
