"""Catalogue screens (PLT-6, INV-1): products with their allergens, barcodes, VAT, revenue
category and prices per rate plan, categories, variants, modifier groups and options, and the
one-tap 86. Thin: parse, call inventory.services.catalogue, render. Scoped to the active
property: another property's row is a 404."""

from decimal import Decimal

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from inventory import backoffice_selectors as selectors
from inventory.forms import (
    AmountField,
    CategoryForm,
    ModifierForm,
    ModifierGroupForm,
    ProductForm,
    VariantForm,
)
from inventory.models import ALLERGENS, ModifierGroup, Product, SaleChannel
from inventory.services.catalogue import (
    category_save,
    modifier_group_save,
    modifier_save,
    product_is_sold_out,
    product_photo_set,
    product_prices_set,
    product_save,
    product_sold_out_clear,
    product_sold_out_set,
    variant_save,
)

UNPROCESSABLE = 422


def _form_error(form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("Check the form.")


def _product_or_404(request: HttpRequest, pk: int) -> Product:
    product = selectors.product_for_manager(property=request.property, pk=pk)
    if product is None:
        raise Http404
    return product


@require_GET
@capability_required("manage")
def catalogue(request: HttpRequest) -> HttpResponse:
    """Every product by category, with its price, allergens and a one-tap 86."""
    products = list(selectors.catalogue_products(property=request.property))
    allergen_labels = dict(ALLERGENS)
    rows = [
        {
            "product": p,
            "sold_out": product_is_sold_out(p),
            "allergens": [allergen_labels[c] for c in p.allergens if c in allergen_labels],
            "required": [g for g in p.modifier_groups.all() if g.min_choices >= 1],
        }
        for p in products
    ]
    return render(
        request,
        "inventory/catalogue.html",
        {
            "rows": rows,
            "categories": selectors.catalogue_categories(property=request.property),
            "category_form": CategoryForm(),
        },
    )


@require_POST
@capability_required("manage")
def category_create(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("catalogue:home")
    try:
        data = form.cleaned_data
        data["sort_order"] = data.get("sort_order") or 0
        category = category_save(property=request.property, actor=request.user, fields=data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Category “%(name)s” added.") % {"name": category.name})
    return redirect("catalogue:home")


def _plan_prices(request: HttpRequest, plans) -> dict[int, Decimal | None]:
    """{plan id: price} from the form's price_<plan> inputs (empty: the plan has no price)."""
    field = AmountField(max_digits=12, decimal_places=2, required=False)
    prices = {}
    for plan in plans:
        raw = (request.POST.get(f"price_{plan.pk}") or "").strip()
        try:
            prices[plan.pk] = field.clean(raw) if raw else None
        except Exception:
            raise DomainError(
                _("The price in %(plan)s is not an amount.") % {"plan": plan.name}
            ) from None
    return prices


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def product_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or change a product and its prices per rate plan."""
    prop = request.property
    product = _product_or_404(request, pk) if pk is not None else None
    categories = selectors.catalogue_categories(property=prop)
    plans = selectors.catalogue_rate_plans(property=prop)
    error = None
    status = 200
    if request.method == "POST":
        form = ProductForm(request.POST, categories=categories)
        if form.is_valid():
            try:
                with transaction.atomic():
                    prices = _plan_prices(request, plans)
                    saved = product_save(
                        property=prop,
                        actor=request.user,
                        fields=form.service_fields(),
                        product=product,
                    )
                    product_prices_set(product=saved, actor=request.user, prices=prices)
            except DomainError as exc:
                error, status = exc.message, UNPROCESSABLE
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": saved.name})
                return redirect("catalogue:product", pk=saved.pk)
        else:
            error, status = _form_error(form), UNPROCESSABLE
    elif product is not None:
        form = ProductForm(
            initial={
                "name_fr": product.name_fr,
                "name_en": product.name_en,
                "code": product.code,
                "category": product.category_id,
                "price": product.price,
                "vat_rate": str(product.vat_rate),
                "revenue_category": product.revenue_category,
                "ean13": product.ean13,
                "allergens": product.allergens,
                "default_course": product.default_course,
                "is_active": product.is_active,
                "sold_online": product.sold_online,
                "channels": [c for c in SaleChannel.values if product.sold_on(c)],
            },
            categories=categories,
        )
    else:
        form = ProductForm(categories=categories, initial={"vat_rate": "10.00"})
    plan_prices = {}
    if product is not None:
        for price in product.prices.all():
            if price.season_id is None and not price.channel:
                plan_prices[price.rate_plan_id] = price.price
    plan_rows = [
        {
            "plan": plan,
            "value": request.POST.get(f"price_{plan.pk}", "")
            if request.method == "POST"
            else plan_prices.get(plan.pk, ""),
        }
        for plan in plans
    ]
    return render(
        request,
        "inventory/product_form.html",
        {
            "form": form,
            "product": product,
            "plan_rows": plan_rows,
            "error": error,
            "variant_form": VariantForm(),
            "sold_out": product_is_sold_out(product) if product else False,
        },
        status=status,
    )


def sold_out_switch(request: HttpRequest, product: Product, *, back: bool) -> None:
    """86 a product until the end of the service, or put it back on sale (`back`), and say so:
    the manager's catalogue and the kitchen display share these words and the audited service."""
    try:
        if back:
            product_sold_out_clear(product=product, by=request.user)
            messages.success(request, _("“%(name)s” is back on sale.") % {"name": product.name})
        else:
            product_sold_out_set(product=product, by=request.user)
            messages.success(
                request,
                _("“%(name)s” is sold out until the end of the service.") % {"name": product.name},
            )
    except DomainError as exc:
        messages.error(request, str(exc.message))


@require_POST
@capability_required("manage")
def product_sold_out(request: HttpRequest, pk: int) -> HttpResponse:
    """The one-tap 86: off until the end of the service, or back on sale."""
    product = get_object_or_404(Product, pk=pk, property=request.property)
    sold_out_switch(request, product, back=request.POST.get("action") == "clear")
    if request.POST.get("next") == "product":
        return redirect("catalogue:product", pk=pk)
    return redirect("catalogue:home")


@require_POST
@capability_required("manage")
def product_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a product its photo (multipart `photo`), or remove it (`action` remove)."""
    product = get_object_or_404(Product, pk=pk, property=request.property)
    remove = request.POST.get("action") == "remove"
    try:
        product_photo_set(
            product=product,
            actor=request.user,
            upload=None if remove else request.FILES.get("photo"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Photo removed.") if remove else _("Photo saved."))
    return redirect("catalogue:product", pk=pk)


@require_POST
@capability_required("manage")
def variant_create(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk, property=request.property)
    form = VariantForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("catalogue:product", pk=pk)
    data = form.cleaned_data
    data["price_delta"] = data.get("price_delta") or Decimal("0.00")
    data["ean13"] = (data.get("ean13") or "").strip()
    try:
        variant_save(product=product, actor=request.user, fields=data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Variant added."))
    return redirect("catalogue:product", pk=pk)


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def groups(request: HttpRequest) -> HttpResponse:
    """Modifier groups (a required one: min choices ≥ 1) with their options and products."""
    prop = request.property
    error, status = None, 200
    form = ModifierGroupForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                modifier_group_save(
                    property=prop,
                    actor=request.user,
                    fields=form.cleaned_data,
                    product_ids=[int(x) for x in request.POST.getlist("products") if x.isdigit()],
                )
            except DomainError as exc:
                error, status = exc.message, UNPROCESSABLE
            else:
                messages.success(request, _("Modifier group added."))
                return redirect("catalogue:groups")
        else:
            error, status = _form_error(form), UNPROCESSABLE
    return render(
        request,
        "inventory/groups.html",
        {
            "groups": list(selectors.catalogue_groups(property=prop)),
            "products": list(selectors.catalogue_products(property=prop)),
            "form": form,
            "modifier_form": ModifierForm(),
            "error": error,
        },
        status=status,
    )


@require_POST
@capability_required("manage")
def group_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a group's limits and the products it applies to."""
    group = get_object_or_404(ModifierGroup, pk=pk, property=request.property)
    form = ModifierGroupForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("catalogue:groups")
    try:
        modifier_group_save(
            property=request.property,
            actor=request.user,
            fields=form.cleaned_data,
            product_ids=[int(x) for x in request.POST.getlist("products") if x.isdigit()],
            group=group,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Modifier group saved."))
    return redirect("catalogue:groups")


@require_POST
@capability_required("manage")
def modifier_create(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(ModifierGroup, pk=pk, property=request.property)
    form = ModifierForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("catalogue:groups")
    data = form.cleaned_data
    data["price_delta"] = data.get("price_delta") or Decimal("0.00")
    try:
        modifier_save(group=group, actor=request.user, fields=data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Option added."))
    return redirect("catalogue:groups")
