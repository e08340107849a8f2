"""Which categories each outlet's tablets show, and its quick keys (manager, PLT-6)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from inventory.models import Category, Product
from pos.models import Outlet
from pos.services.menus import outlet_menu_set


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


@require_GET
@capability_required("manage")
def outlet_menus(request: HttpRequest) -> HttpResponse:
    """Every outlet with its categories and quick keys (four queries)."""
    prop = request.property
    outlets = list(
        Outlet.objects.filter(property=prop).prefetch_related("categories", "quick_keys")
    )
    rows = [
        {
            "outlet": o,
            "category_ids": {c.pk for c in o.categories.all()},
            "quick_key_ids": {p.pk for p in o.quick_keys.all()},
        }
        for o in outlets
    ]
    return render(
        request,
        "pos/outlet_menus.html",
        {
            "rows": rows,
            "categories": list(Category.objects.filter(property=prop)),
            "products": list(
                Product.objects.filter(property=prop, is_active=True).only(
                    "pk", "name_fr", "name_en"
                )
            ),
        },
    )


@require_POST
@capability_required("manage")
def outlet_menu_update(request: HttpRequest, pk: int) -> HttpResponse:
    outlet = get_object_or_404(Outlet, pk=pk, property=request.property)
    try:
        outlet_menu_set(
            outlet=outlet,
            actor=request.user,
            category_ids=_ids(request.POST.getlist("categories")),
            quick_key_ids=_ids(request.POST.getlist("quick_keys")),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The menu of %(outlet)s is saved.") % {"outlet": outlet.name})
    return redirect("outlet_menus:list")
