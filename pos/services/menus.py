"""An outlet's menu and quick keys (PLT-6, POS-1): which categories its tablets and tills
show (a restaurant tablet shows the restaurant's menu, not the spa and the shop), and the
products on its first screen. The catalogue token drops on the change (pos.signals)."""

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from inventory.models import Category, Product
from inventory.services.catalogue import audit_change
from pos.models import Outlet

MAX_QUICK_KEYS = 24


@transaction.atomic
def outlet_menu_set(
    *, outlet: Outlet, actor, category_ids: Sequence[int], quick_key_ids: Sequence[int]
) -> Outlet:
    """Set the outlet's categories (none: every category) and its quick keys (in the given
    order is not kept: the catalogue order is). Raises InvalidInput on a category or product
    of another property, or too many quick keys. Audited (before → after)."""
    categories = set(category_ids)
    products = set(quick_key_ids)
    if len(products) > MAX_QUICK_KEYS:
        raise InvalidInput(_("An outlet has at most %(n)s quick keys.") % {"n": MAX_QUICK_KEYS})
    found = Category.objects.filter(property_id=outlet.property_id, pk__in=categories).count()
    if found != len(categories):
        raise InvalidInput(_("No such category."))
    found = Product.objects.filter(property_id=outlet.property_id, pk__in=products).count()
    if found != len(products):
        raise InvalidInput(_("No such product."))
    before = {
        "categories": sorted(outlet.categories.values_list("pk", flat=True)),
        "quick_keys": sorted(outlet.quick_keys.values_list("pk", flat=True)),
    }
    outlet.categories.set(categories)
    outlet.quick_keys.set(products)
    after = {"categories": sorted(categories), "quick_keys": sorted(products)}
    if before != after:
        audit_change(
            action="pos.outlet.menu_set",
            property=outlet.property,
            actor=actor,
            instance=outlet,
            before=before,
            after=after,
        )
    return outlet
