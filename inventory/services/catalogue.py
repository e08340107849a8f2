"""The manager's catalogue writes (PLT-6, INV-1): categories, products, variants, modifier
groups and modifiers, prices per rate plan, and 86-ing a dish for the rest of the service.

Every write validates the whole row (`full_clean`: validators, choices, the unique and check
constraints) before saving, so a bad input saves nothing and says why; every write is audited
with the model, the object id and the fields before → after (core.audit), which the back
office's history page lists. The catalogue token is dropped by inventory.signals on each save,
so the cached menus of every tablet and till change at the next poll.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput, NotFound
from core.images import photo_files_forget, photo_stored
from core.models import Property
from inventory.exceptions import ChoiceRequired, ProductSoldOut
from inventory.models import (
    SALE_CHANNEL_FIELDS,
    Category,
    Modifier,
    ModifierGroup,
    Price,
    Product,
    RatePlan,
    Variant,
)

PRODUCT_FIELDS = (
    "category_id",
    "code",
    "name_fr",
    "name_en",
    "ean13",
    "price",
    "vat_rate",
    "revenue_category",
    "allergens",
    "default_course",
    "is_active",
    "sold_online",
    "sort_order",
    "sold_at_counter",
    "sold_on_qr",
    "sold_for_collect",
    "sold_at_kiosk",
)
CATEGORY_FIELDS = ("name_fr", "name_en", "sort_order")
VARIANT_FIELDS = ("name_fr", "name_en", "price_delta", "ean13")
GROUP_FIELDS = ("name_fr", "name_en", "min_choices", "max_choices")
MODIFIER_FIELDS = ("name_fr", "name_en", "price_delta")


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a field's value for the audit row."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(instance, name)) for name in fields}


def audit_change(
    *,
    action: str,
    property: Property,
    actor,
    instance: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """One audit row: which row of which model, and the fields that changed (before → after),
    so the history page can show them without knowing the model."""
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in changed}
        after = {k: after[k] for k in changed}
    audit_log(
        action=action,
        property=property,
        actor=actor,
        target=instance,
        data={
            "model": instance._meta.label_lower,
            "object_id": instance.pk,
            "object": str(instance),
            "before": before or {},
            "after": after or {},
        },
    )


def _invalid(exc: ValidationError) -> InvalidInput:
    """The row's validation errors as one domain error: the first message, every field's."""
    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for m in errs[0].messages] for name, errs in exc.error_dict.items()}
        first = next(iter(fields.values()))[0]
        return InvalidInput(first, extra={"fields": fields})
    return InvalidInput(exc.messages[0])


def save_validated(instance: models.Model) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise _invalid(exc) from None
    instance.save()


def _row_write(
    instance: models.Model,
    *,
    is_new: bool,
    names: Iterable[str],
    fields: Mapping[str, Any],
    property: Property,
    actor,
    action: str,
    check=None,
) -> models.Model:
    """The shape of every catalogue write: the given fields set, `check(instance)` (raises
    InvalidInput), the whole row validated and saved, one audit row `<action>.created` or
    `.updated` with the fields before → after."""
    before = None if is_new else snapshot(instance, names)
    for name in names:
        if name in fields:
            setattr(instance, name, fields[name])
    if check is not None:
        check(instance)
    save_validated(instance)
    audit_change(
        action=f"{action}.{'created' if is_new else 'updated'}",
        property=property,
        actor=actor,
        instance=instance,
        before=before,
        after=snapshot(instance, names),
    )
    return instance


def parse_money(value: Any, *, label: str) -> Decimal:
    """A price typed by a person ("12,50" or "12.50"): two places, never negative."""
    text = str(value if value is not None else "").strip().replace(",", ".").replace(" ", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(_("%(label)s is not an amount.") % {"label": label}) from None
    if not amount.is_finite():
        raise InvalidInput(_("%(label)s is not an amount.") % {"label": label})
    if amount < 0:
        raise InvalidInput(_("%(label)s cannot be negative.") % {"label": label})
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def category_save(
    *, property: Property, actor, fields: Mapping[str, Any], category: Category | None = None
) -> Category:
    """Create or change a category of the property's catalogue. Raises InvalidInput."""
    if category is not None and category.property_id != property.pk:
        raise NotFound(_("No such category."))
    return _row_write(
        category or Category(property=property),
        is_new=category is None,
        names=CATEGORY_FIELDS,
        fields=fields,
        property=property,
        actor=actor,
        action="inventory.category",
    )


def _check_barcode_free(*, property: Property, ean13: str, product_pk=None, variant_pk=None):
    """A barcode scans to one thing: refused if another product or variant has it."""
    if not ean13:
        return
    products = Product.objects.filter(property=property, ean13=ean13).exclude(pk=product_pk)
    variants = Variant.objects.filter(product__property=property, ean13=ean13).exclude(
        pk=variant_pk
    )
    if products.exists() or variants.exists():
        raise InvalidInput(
            _("The barcode %(code)s is already used by another product.") % {"code": ean13},
            extra={"fields": {"ean13": [_("This barcode is already used.")]}},
        )


@transaction.atomic
def product_save(
    *, property: Property, actor, fields: Mapping[str, Any], product: Product | None = None
) -> Product:
    """Create or change a product. `fields` holds PRODUCT_FIELDS (price a Decimal, allergens a
    list of codes from inventory.models.ALLERGENS). Raises InvalidInput (negative price,
    bad or duplicate barcode, unknown allergen, VAT rate or category of another property)."""
    if product is not None and product.property_id != property.pk:
        raise NotFound(_("No such product."))

    def check(row: Product) -> None:
        if (
            row.category_id
            and not Category.objects.filter(pk=row.category_id, property=property).exists()
        ):
            raise InvalidInput(_("No such category."))
        if row.price is not None and row.price < 0:
            raise InvalidInput(_("A price cannot be negative."))
        _check_barcode_free(property=property, ean13=row.ean13, product_pk=row.pk)
        if not any(getattr(row, name) for name in SALE_CHANNEL_FIELDS.values()):
            raise InvalidInput(
                _("Choose at least one channel that sells it (or make it inactive)."),
                extra={"field": "channels"},
            )

    return _row_write(
        product or Product(property=property),
        is_new=product is None,
        names=PRODUCT_FIELDS,
        fields=fields,
        property=property,
        actor=actor,
        action="inventory.product",
        check=check,
    )


@transaction.atomic
def product_prices_set(
    *, product: Product, actor, prices: Mapping[int, Decimal | None]
) -> list[Price]:
    """Set the product's default price in each rate plan ({plan id: price}; None removes the
    plan's price, so the product falls back to a lower plan or its public price). Seasonal
    and per-channel prices are left alone. Raises InvalidInput on a negative price or a plan
    of another property."""
    plans = {p.pk: p for p in RatePlan.objects.filter(property_id=product.property_id)}
    if set(prices) - set(plans):
        raise InvalidInput(_("No such rate plan."))
    existing = {
        p.rate_plan_id: p
        for p in Price.objects.filter(
            product=product, season__isnull=True, channel="", rate_plan_id__in=list(prices)
        )
    }
    before = {plans[pk].code: _plain(p.price) for pk, p in existing.items()}
    kept = []
    for plan_id, amount in prices.items():
        if amount is not None and amount < 0:
            raise InvalidInput(_("A price cannot be negative."))
        price = existing.get(plan_id)
        if amount is None:
            if price is not None:
                price.delete()
            continue
        if price is None:
            price = Price(rate_plan=plans[plan_id], product=product, channel="")
        elif price.price == amount:
            kept.append(price)
            continue
        price.price = amount
        price.save()
        kept.append(price)
    after = {p.rate_plan.code: _plain(p.price) for p in kept}
    if before != after:
        audit_change(
            action="inventory.product.prices_set",
            property=product.property,
            actor=actor,
            instance=product,
            before=before,
            after=after,
        )
    return kept


@transaction.atomic
def variant_save(
    *, product: Product, actor, fields: Mapping[str, Any], variant: Variant | None = None
) -> Variant:
    """Create or change a variant (size, colour) of a product, with its own barcode."""
    if variant is not None and variant.product_id != product.pk:
        raise NotFound(_("No such variant."))
    return _row_write(
        variant or Variant(product=product),
        is_new=variant is None,
        names=VARIANT_FIELDS,
        fields=fields,
        property=product.property,
        actor=actor,
        action="inventory.variant",
        check=lambda row: _check_barcode_free(
            property=product.property, ean13=row.ean13, product_pk=None, variant_pk=row.pk
        ),
    )


@transaction.atomic
def modifier_group_save(
    *,
    property: Property,
    actor,
    fields: Mapping[str, Any],
    product_ids: Iterable[int] | None = None,
    group: ModifierGroup | None = None,
) -> ModifierGroup:
    """Create or change a modifier group (a steak's cooking: min 1, max 1 — required) and the
    products it applies to. Raises InvalidInput when min > max or max is 0."""
    if group is not None and group.property_id != property.pk:
        raise NotFound(_("No such modifier group."))
    before = snapshot(group, GROUP_FIELDS) if group else None
    if before is not None:
        before["products"] = sorted(group.products.values_list("pk", flat=True))
    group = group or ModifierGroup(property=property)
    for name in GROUP_FIELDS:
        if name in fields:
            setattr(group, name, fields[name])
    if group.max_choices < 1:
        raise InvalidInput(_("A group allows at least one choice."))
    if group.min_choices > group.max_choices:
        raise InvalidInput(
            _("The minimum number of choices (%(min)s) is more than the maximum (%(max)s).")
            % {"min": group.min_choices, "max": group.max_choices}
        )
    save_validated(group)
    if product_ids is not None:
        ids = set(product_ids)
        if ids and Product.objects.filter(pk__in=ids, property=property).count() != len(ids):
            raise InvalidInput(_("No such product."))
        group.products.set(ids)
    after = snapshot(group, GROUP_FIELDS)
    after["products"] = sorted(group.products.values_list("pk", flat=True))
    audit_change(
        action="inventory.modifier_group.updated" if before else "inventory.modifier_group.created",
        property=property,
        actor=actor,
        instance=group,
        before=before,
        after=after,
    )
    return group


@transaction.atomic
def modifier_save(
    *, group: ModifierGroup, actor, fields: Mapping[str, Any], modifier: Modifier | None = None
) -> Modifier:
    """Create or change a choice of a group ("saignant", "+ bacon 2,00 €")."""
    if modifier is not None and modifier.group_id != group.pk:
        raise NotFound(_("No such option."))

    def check(row: Modifier) -> None:
        if row.price_delta is not None and row.price_delta < 0:
            raise InvalidInput(_("A price cannot be negative."))

    return _row_write(
        modifier or Modifier(group=group),
        is_new=modifier is None,
        names=MODIFIER_FIELDS,
        fields=fields,
        property=group.property,
        actor=actor,
        action="inventory.modifier",
        check=check,
    )


def end_of_service(property: Property, *, at: datetime | None = None) -> datetime:
    """When the current service ends: the property's next business-day cut-off (the roll
    hour, local time), as an aware datetime."""
    moment = timezone.localtime(at or timezone.now(), property.tz)
    business_day = property.business_date_at(moment)
    cut_off = datetime.combine(
        business_day + timedelta(days=1), datetime.min.time(), tzinfo=property.tz
    ) + timedelta(hours=property.business_day_roll_hour)
    return cut_off


def product_is_sold_out(product: Product, *, at: datetime | None = None) -> bool:
    until = product.sold_out_until
    return until is not None and until > (at or timezone.now())


@transaction.atomic
def product_sold_out_set(*, product: Product, by, until: datetime | None = None) -> Product:
    """86 a dish: not sellable on any tablet or till until `until` (by default the end of
    the service, the property's business-day cut-off). Audited."""
    until = until or end_of_service(product.property)
    if until <= timezone.now():
        raise InvalidInput(_("The end of the sold-out period must be in the future."))
    before = snapshot(product, ("sold_out_until",))
    product.sold_out_until = until
    product.save(update_fields=["sold_out_until", "updated_at"])
    audit_change(
        action="inventory.product.sold_out",
        property=product.property,
        actor=by,
        instance=product,
        before=before,
        after=snapshot(product, ("sold_out_until",)),
    )
    return product


@transaction.atomic
def product_sold_out_clear(*, product: Product, by) -> Product:
    """Back on sale now (the kitchen got a delivery). Audited; nothing to do if on sale."""
    if product.sold_out_until is None:
        return product
    before = snapshot(product, ("sold_out_until",))
    product.sold_out_until = None
    product.save(update_fields=["sold_out_until", "updated_at"])
    audit_change(
        action="inventory.product.back_on_sale",
        property=product.property,
        actor=by,
        instance=product,
        before=before,
        after={"sold_out_until": None},
    )
    return product


def product_channel_check(*, product: Product, channel: str) -> None:
    """A product left off `channel` (a SaleChannel) is refused there: InvalidInput naming
    it and the channel (a post made by hand, an old page)."""
    from inventory.models import SaleChannel

    if not product.sold_on(channel):
        raise InvalidInput(
            _("%(name)s is not sold here (%(channel)s).")
            % {"name": product.name, "channel": SaleChannel(channel).label},
            extra={"product": product.pk, "channel": str(channel)},
        )


def product_line_check(
    *,
    product: Product,
    modifier_ids: Iterable[int] = (),
    groups: Iterable[ModifierGroup] | None = None,
) -> None:
    """What a tablet or a till asks before adding a line: the dish is not 86'd, and each of
    its required groups (min_choices ≥ 1) has at least that many of its options chosen.
    Raises ProductSoldOut (409) or ChoiceRequired (422). `groups` are the product's groups
    with their options when the caller holds them (the waiter's cached menu: no query on a
    tap); otherwise they are read once."""
    if product_is_sold_out(product):
        raise ProductSoldOut(
            _("%(name)s is sold out for the rest of the service.") % {"name": product.name}
        )
    product_choices_check(product=product, modifier_ids=modifier_ids, groups=groups)


def product_choices_check(
    *,
    product: Product,
    modifier_ids: Iterable[int] = (),
    groups: Iterable[ModifierGroup] | None = None,
) -> None:
    """Each required group of the product (min_choices ≥ 1) has at least that many of its
    options among `modifier_ids`; raises ChoiceRequired (422) naming the first one missing.
    `groups` as for product_line_check."""
    chosen = set(modifier_ids)
    if groups is None:
        groups = ModifierGroup.objects.filter(
            products=product, min_choices__gte=1
        ).prefetch_related("modifiers")
    for group in groups:
        picked = sum(1 for m in group.modifiers.all() if m.pk in chosen)
        if picked < group.min_choices:
            raise ChoiceRequired(
                _("Choose %(group)s for %(name)s.") % {"group": group.name, "name": product.name},
                extra={"group_id": group.pk},
            )


def product_photo_set(*, product: Product, actor, upload=None) -> Product:
    """Give the product its photo (the guest's QR menu), replacing the one it had, or remove
    it (`upload` None). A file that is not a JPEG, PNG or WebP photo, or too large, is
    refused (InvalidInput) and nothing is kept (core.images)."""
    if upload is None:
        return _product_photo_write(product=product, actor=actor, large="", small="")
    with photo_stored(upload, folder=f"products/{product.property_id}") as stored:
        return _product_photo_write(
            product=product, actor=actor, large=stored.large, small=stored.small
        )


@transaction.atomic
def _product_photo_write(*, product: Product, actor, large: str, small: str) -> Product:
    locked = Product.objects.select_for_update().get(pk=product.pk)
    old = (locked.photo.name, locked.photo_small.name)
    if not large and not old[0]:
        return locked
    locked.photo, locked.photo_small = large, small
    locked.save(update_fields=["photo", "photo_small", "updated_at"])
    photo_files_forget(*old)
    audit_change(
        action="inventory.product.photo",
        property=locked.property,
        actor=actor,
        instance=locked,
        before={"photo": old[0]},
        after={"photo": large},
    )
    return locked
