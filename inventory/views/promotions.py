"""Promotion screens (PRC-2, PRC-3): every offer and rule with its status and remaining stock;
create, change, pause, resume, end. Thin: inventory.services.promotions does the writes."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from inventory import backoffice_selectors as selectors
from inventory.forms import PromotionForm
from inventory.models import Product, Promotion
from inventory.services.promotions import (
    STATUS_LABELS,
    promotion_end,
    promotion_pause,
    promotion_resume,
    promotion_save,
)
from inventory.views.catalogue import UNPROCESSABLE, _form_error


def _products(request: HttpRequest) -> list[Product]:
    return list(Product.objects.filter(property=request.property).only("pk", "name_fr", "name_en"))


def _initial(promotion: Promotion) -> dict:
    initial = {
        name: getattr(promotion, name)
        for name in PromotionForm.base_fields
        if name != "products" and hasattr(promotion, name)
    }
    initial["products"] = [p.pk for p in promotion.products.all()]
    return initial


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def promotion_list(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The offers with status and stock left, and the form to create (or change `pk`)."""
    prop = request.property
    promotion = get_object_or_404(Promotion, pk=pk, property=prop) if pk is not None else None
    products = _products(request)
    error, status = None, 200
    if request.method == "POST":
        form = PromotionForm(request.POST, products=products)
        if form.is_valid():
            fields, product_ids = form.service_fields()
            try:
                saved = promotion_save(
                    property=prop,
                    actor=request.user,
                    fields=fields,
                    product_ids=product_ids,
                    promotion=promotion,
                )
            except DomainError as exc:
                error, status = exc.message, UNPROCESSABLE
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": saved.name})
                return redirect("promotions:list")
        else:
            error, status = _form_error(form), UNPROCESSABLE
    elif promotion is not None:
        form = PromotionForm(initial=_initial(promotion), products=products)
    else:
        form = PromotionForm(products=products)
    rows = selectors.promotions_list(property=prop)
    return render(
        request,
        "inventory/promotions.html",
        {
            "rows": [(row, STATUS_LABELS[row.status]) for row in rows],
            "form": form,
            "editing": promotion,
            "error": error,
        },
        status=status,
    )


@require_POST
@capability_required("manage")
def promotion_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Pause, resume or end an offer."""
    promotion = get_object_or_404(Promotion, pk=pk, property=request.property)
    action = request.POST.get("action")
    services = {"pause": promotion_pause, "resume": promotion_resume, "end": promotion_end}
    if action not in services:
        messages.error(request, _("Unknown action."))
        return redirect("promotions:list")
    try:
        services[action](promotion=promotion, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” updated.") % {"name": promotion.name})
    return redirect("promotions:list")
