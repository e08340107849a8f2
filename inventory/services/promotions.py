"""Promotions and automatic rules on the manager's screen (PRC-2, PRC-3): create, schedule,
pause, resume and end an offer. The quote (inventory.services.pricing) applies them; the
pricing configuration is dropped on every save by inventory.signals, so the booking engine and
the tills price with the new state at once. Every change is audited (before → after)."""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import InvalidInput, NotFound
from core.models import Property
from inventory.models import Channel, Product, Promotion, RevenueCategory
from inventory.services.catalogue import audit_change, save_validated, snapshot

PROMOTION_FIELDS = (
    "code",
    "kind",
    "name_fr",
    "name_en",
    "percent_off",
    "amount_off",
    "revenue_categories",
    "channels",
    "sale_from",
    "sale_until",
    "stay_from",
    "stay_until",
    "min_nights",
    "min_days_before",
    "stock_cap",
    "priority",
    "is_active",
)

STATUS_LABELS = {
    "running": gettext_lazy("Running"),
    "scheduled": gettext_lazy("Scheduled"),
    "paused": gettext_lazy("Paused"),
    "ended": gettext_lazy("Ended"),
    "exhausted": gettext_lazy("Sold out"),
}


def promotion_status(promotion: Promotion, *, today: date) -> str:
    """What the manager sees: paused (switched off), ended (its sale window is over),
    exhausted (its stock is used up), scheduled (its sale window has not begun) or running."""
    if not promotion.is_active:
        return "paused"
    if promotion.sale_until and promotion.sale_until < today:
        return "ended"
    if promotion.stock_cap is not None and promotion.stock_used >= promotion.stock_cap:
        return "exhausted"
    if promotion.sale_from and promotion.sale_from > today:
        return "scheduled"
    return "running"


def _validate(promotion: Promotion) -> None:
    percent, amount = promotion.percent_off, promotion.amount_off
    if percent is None and amount is None:
        raise InvalidInput(_("Give a percentage or an amount off."))
    if percent is not None and not (Decimal("0") < percent <= Decimal("100")):
        raise InvalidInput(_("A percentage off is between 0 and 100."))
    if amount is not None and amount <= 0:
        raise InvalidInput(_("An amount off must be more than zero."))
    if promotion.sale_from and promotion.sale_until and promotion.sale_from > promotion.sale_until:
        raise InvalidInput(_("The sale window ends before it starts."))
    if promotion.stay_from and promotion.stay_until and promotion.stay_from > promotion.stay_until:
        raise InvalidInput(_("The stay window ends before it starts."))
    if promotion.stock_cap is not None and promotion.stock_cap < promotion.stock_used:
        raise InvalidInput(
            _("The offer's stock cannot be less than what was already sold (%(n)s).")
            % {"n": promotion.stock_used}
        )
    if any(c not in Channel.values for c in promotion.channels or []):
        raise InvalidInput(_("Unknown channel."))
    if any(c not in RevenueCategory.values for c in promotion.revenue_categories or []):
        raise InvalidInput(_("Unknown revenue category."))


def _audited(promotion: Promotion) -> dict[str, Any]:
    out = snapshot(promotion, PROMOTION_FIELDS)
    for name in ("sale_from", "sale_until", "stay_from", "stay_until"):
        if out[name] is not None:
            out[name] = out[name].isoformat()
    out["products"] = sorted(p.pk for p in promotion.products.all()) if promotion.pk else []
    return out


@transaction.atomic
def promotion_save(
    *,
    property: Property,
    actor,
    fields: Mapping[str, Any],
    product_ids: Iterable[int] | None = None,
    promotion: Promotion | None = None,
) -> Promotion:
    """Create or change an offer. Raises InvalidInput: no discount, a percentage outside
    0–100, a window that ends before it starts, a stock below what was already sold, a
    duplicate code, a product of another property. Overlapping offers are allowed: the
    quote picks the best one per line (priority, then the larger discount)."""
    if promotion is not None and promotion.property_id != property.pk:
        raise NotFound(_("No such promotion."))
    before = _audited(promotion) if promotion else None
    promotion = promotion or Promotion(property=property)
    for name in PROMOTION_FIELDS:
        if name in fields:
            setattr(promotion, name, fields[name])
    _validate(promotion)
    save_validated(promotion)
    if product_ids is not None:
        ids = set(product_ids)
        if ids and Product.objects.filter(pk__in=ids, property=property).count() != len(ids):
            raise InvalidInput(_("No such product."))
        promotion.products.set(ids)
    audit_change(
        action="inventory.promotion.updated" if before else "inventory.promotion.created",
        property=property,
        actor=actor,
        instance=promotion,
        before=before,
        after=_audited(promotion),
    )
    return promotion


def _switch(promotion: Promotion, *, actor, action: str, **changes) -> Promotion:
    before = _audited(promotion)
    for name, value in changes.items():
        setattr(promotion, name, value)
    promotion.save(update_fields=[*changes, "updated_at"])
    audit_change(
        action=action,
        property=promotion.property,
        actor=actor,
        instance=promotion,
        before=before,
        after=_audited(promotion),
    )
    return promotion


@transaction.atomic
def promotion_pause(*, promotion: Promotion, actor) -> Promotion:
    """Stop applying the offer now, keeping its settings (resume later)."""
    return _switch(promotion, actor=actor, action="inventory.promotion.paused", is_active=False)


@transaction.atomic
def promotion_resume(*, promotion: Promotion, actor) -> Promotion:
    """Apply the offer again (within its windows and stock)."""
    return _switch(promotion, actor=actor, action="inventory.promotion.resumed", is_active=True)


@transaction.atomic
def promotion_end(*, promotion: Promotion, actor) -> Promotion:
    """End the offer today: its sale window closes yesterday, so it shows as ended and no
    quote applies it from now; sales already made keep their price."""
    today = promotion.property.business_date()
    until = today - timedelta(days=1)
    sale_from = promotion.sale_from
    if sale_from is not None and sale_from > until:
        sale_from = until
    return _switch(
        promotion,
        actor=actor,
        action="inventory.promotion.ended",
        sale_until=until,
        sale_from=sale_from,
    )
