"""The manager's stock master data under /manage/stock/ (INV-5): locations, items with their
reorder points per location, suppliers with their packs, and recipes. Thin: parse with
inventory.forms, write with inventory.services.stock_setup (scoped, validated, audited),
render. Another property's row is a 404; bad input is a 422 that says why and saves nothing."""

from collections.abc import Callable
from decimal import Decimal

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from inventory.forms import (
    RecipeLineForm,
    StockItemForm,
    StockLocationForm,
    SupplierForm,
    SupplierItemForm,
)
from inventory.models import (
    Product,
    RecipeLine,
    StockItem,
    StockLevel,
    StockLocation,
    StockSettings,
    Supplier,
    SupplierItem,
)
from inventory.services.stock import recipe_base_quantity
from inventory.services.stock_setup import (
    ITEM_FIELDS,
    LOCATION_FIELDS,
    SUPPLIER_FIELDS,
    item_save,
    level_thresholds_set,
    location_save,
    parse_quantity,
    recipe_line_remove,
    recipe_line_set,
    stock_settings_save,
    supplier_item_delete,
    supplier_item_save,
    supplier_save,
)
from inventory.views.catalogue import UNPROCESSABLE, _form_error


def _form_post(request: HttpRequest, form, save: Callable[[dict], object]) -> tuple[object, str]:
    """Validate the form and call `save(cleaned data)`: (the saved row, "") or (None, why)."""
    if not form.is_valid():
        return None, _form_error(form)
    try:
        return save(dict(form.cleaned_data)), ""
    except DomainError as exc:
        return None, exc.message


def _master_page(
    request: HttpRequest,
    *,
    form_class,
    instance,
    names: tuple[str, ...],
    save: Callable[[dict], object],
    template: str,
    context: dict,
    done: str,
) -> HttpResponse:
    """The list-and-form page of a location, item or supplier: GET shows the row's values
    (or an empty form); POST saves and goes to the saved row's page `done`, or answers 422
    with the reason."""
    error, status = "", 200
    if request.method == "POST":
        form = form_class(request.POST)
        saved, error = _form_post(request, form, save)
        if saved is not None:
            messages.success(request, _("“%(name)s” saved.") % {"name": saved})
            return redirect(done, pk=saved.pk)
        status = UNPROCESSABLE
    elif instance is not None:
        form = form_class(initial={name: getattr(instance, name) for name in names})
    else:
        form = form_class()
    return render(
        request,
        template,
        {"form": form, "editing": instance, "error": error, **context},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def locations(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Bar, kitchen, shop, store room, minibars: where stock is kept and counted."""
    prop = request.property
    location = get_object_or_404(StockLocation, property=prop, pk=pk) if pk else None
    rows = StockLocation.objects.filter(property=prop).annotate(items=Count("levels"))
    return _master_page(
        request,
        form_class=StockLocationForm,
        instance=location,
        names=LOCATION_FIELDS,
        save=lambda data: location_save(
            property=prop, actor=request.user, fields=data, location=location
        ),
        template="inventory/stock/locations.html",
        context={
            "rows": rows,
            "allow_negative": StockSettings.objects.filter(
                property=prop, allow_negative=True
            ).exists(),
        },
        done="stock:location",
    )


@require_POST
@capability_required("manage")
def settings_below_zero(request: HttpRequest) -> HttpResponse:
    """The rule when a sale would take an ingredient below zero (on the locations page)."""
    choice = request.POST.get("allow_negative")
    if choice not in ("0", "1"):
        messages.error(request, _("Choose refuse the sale or sell and alert."))
        return redirect("stock:locations")
    stock_settings_save(property=request.property, actor=request.user, allow_negative=choice == "1")
    messages.success(request, _("Saved."))
    return redirect("stock:locations")


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def items(request: HttpRequest) -> HttpResponse:
    """Every stock item with its unit, cost, barcode and suppliers; the form for a new one."""
    prop = request.property
    rows = StockItem.objects.filter(property=prop).prefetch_related(
        Prefetch("supplier_items", SupplierItem.objects.select_related("supplier"))
    )
    return _master_page(
        request,
        form_class=StockItemForm,
        instance=None,
        names=ITEM_FIELDS,
        save=lambda data: item_save(property=prop, actor=request.user, fields=data),
        template="inventory/stock/items.html",
        context={"rows": rows},
        done="stock:item",
    )


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """One item: its fields, and its reorder point and par level at each location."""
    prop = request.property
    item = get_object_or_404(StockItem, property=prop, pk=pk)
    levels = {lv.location_id: lv for lv in StockLevel.objects.filter(item=item)}
    location_rows = [
        (location, levels.get(location.pk))
        for location in StockLocation.objects.filter(property=prop, is_active=True)
    ]
    return _master_page(
        request,
        form_class=StockItemForm,
        instance=item,
        names=ITEM_FIELDS,
        save=lambda data: item_save(property=prop, actor=request.user, fields=data, item=item),
        template="inventory/stock/item.html",
        context={
            "item": item,
            "location_rows": location_rows,
            "offers": item.supplier_items.select_related("supplier"),
        },
        done="stock:item",
    )


@require_POST
@capability_required("manage")
def item_levels(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the reorder point and par level typed for each location (empty: none)."""
    prop = request.property
    item = get_object_or_404(StockItem, property=prop, pk=pk)
    try:
        for location in StockLocation.objects.filter(property=prop, is_active=True):
            reorder = request.POST.get(f"reorder_{location.pk}")
            par = request.POST.get(f"par_{location.pk}")
            if reorder is None and par is None:
                continue
            label = _("The reorder point at %(location)s") % {"location": location.name}
            level_thresholds_set(
                property=prop,
                actor=request.user,
                item=item,
                location_id=location.pk,
                reorder_point=parse_quantity(reorder, label=label, required=False),
                par_level=parse_quantity(
                    par,
                    label=_("The par level at %(location)s") % {"location": location.name},
                    required=False,
                ),
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Reorder points saved."))
    return redirect("stock:item", pk=item.pk)


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def suppliers(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The suppliers with their lead time and packs; create or change one."""
    prop = request.property
    supplier = get_object_or_404(Supplier, property=prop, pk=pk) if pk else None
    rows = Supplier.objects.filter(property=prop).annotate(packs=Count("items"))
    stock_items = StockItem.objects.filter(property=prop, is_active=True)
    offers = supplier.items.select_related("item").order_by("item__name") if supplier else []
    return _master_page(
        request,
        form_class=SupplierForm,
        instance=supplier,
        names=SUPPLIER_FIELDS,
        save=lambda data: supplier_save(
            property=prop, actor=request.user, fields=data, supplier=supplier
        ),
        template="inventory/stock/suppliers.html",
        context={
            "rows": rows,
            "offers": offers,
            "offer_form": SupplierItemForm(items=stock_items),
        },
        done="stock:supplier",
    )


@require_POST
@capability_required("manage")
def supplier_item(request: HttpRequest, pk: int, offer_pk: int | None = None) -> HttpResponse:
    """Add, change (`offer_pk`) or remove (action=delete) one pack the supplier sells."""
    prop = request.property
    supplier = get_object_or_404(Supplier, property=prop, pk=pk)
    offer = get_object_or_404(SupplierItem, supplier=supplier, pk=offer_pk) if offer_pk else None
    if offer is not None and request.POST.get("action") == "delete":
        supplier_item_delete(property=prop, actor=request.user, offer=offer)
        messages.success(request, _("Pack removed."))
        return redirect("stock:supplier", pk=supplier.pk)
    form = SupplierItemForm(request.POST, items=StockItem.objects.filter(property=prop))
    saved, error = _form_post(
        request,
        form,
        lambda _data: supplier_item_save(
            property=prop,
            actor=request.user,
            supplier=supplier,
            fields=form.service_fields(),
            offer=offer,
        ),
    )
    if saved is None:
        messages.error(request, error)
    else:
        messages.success(request, _("Pack saved."))
    return redirect("stock:supplier", pk=supplier.pk)


@require_http_methods(["GET"])
@capability_required("manage")
def recipes(request: HttpRequest) -> HttpResponse:
    """The products with the number of ingredients in their recipe."""
    rows = (
        Product.objects.filter(property=request.property, is_active=True)
        .annotate(ingredients=Count("recipe"))
        .order_by("name_fr")
    )
    return render(request, "inventory/stock/recipes.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def recipe(request: HttpRequest, pk: int) -> HttpResponse:
    """A product's bill of materials: add, change or remove an ingredient; its cost."""
    prop = request.property
    product = get_object_or_404(Product, property=prop, pk=pk)
    stock_items = StockItem.objects.filter(property=prop, is_active=True)
    error, status = "", 200
    form = RecipeLineForm(items=stock_items)
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            recipe_line_remove(
                property=prop,
                actor=request.user,
                product=product,
                item_id=int(request.POST.get("item") or 0),
            )
            messages.success(request, _("Ingredient removed."))
            return redirect("stock:recipe", pk=product.pk)
        form = RecipeLineForm(request.POST, items=StockItem.objects.filter(property=prop))
        saved, error = _form_post(
            request,
            form,
            lambda data: recipe_line_set(
                property=prop,
                actor=request.user,
                product=product,
                item_id=data["item"],
                quantity=data["quantity"],
                unit=data["unit"],
                yield_percent=data["yield_percent"] or Decimal(100),
                adding=request.POST.get("action") != "change",
            ),
        )
        if saved is not None:
            messages.success(request, _("Recipe saved."))
            return redirect("stock:recipe", pk=product.pk)
        status = UNPROCESSABLE
    lines = [
        (line, (recipe_base_quantity(line) * line.item.average_cost).quantize(Decimal("0.01")))
        for line in RecipeLine.objects.filter(product=product).select_related("item")
    ]
    return render(
        request,
        "inventory/stock/recipe.html",
        {
            "product": product,
            "lines": lines,
            "cost": sum((cost for _line, cost in lines), Decimal(0)),
            "form": form,
            "error": error,
            "units": RecipeLineForm.base_fields["unit"].choices,
        },
        status=status,
    )
