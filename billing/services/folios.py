"""Folios: open one for a stay, post charges to it. Lines are append-only: a correction is a
reversing line, never an update."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Folio, FolioLine
from core.audit import audit_log
from core.exceptions import InvalidInput
from core.models import Property
from core.money import ZERO, quantize, vat_from_gross
from inventory.models import Channel, Product
from inventory.services.pricing import QuoteLineInput, quote
from webhooks.services import webhook_emit


@dataclass(frozen=True)
class ChargeInput:
    """A line to post, with its VAT rate locked at sale time (BIL-3). `source` makes posting
    idempotent: a line with a source already on the folio is not posted twice."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    vat_rate: Decimal
    revenue_category: str
    service_date: date | None = None
    source: str = ""
    product_id: int | None = None
    applied_rule: str = ""


def folio_open(*, property: Property, holder_name: str, guest=None, company=None) -> Folio:
    """Open an empty folio (a reservation points to it; billing does not know reservations)."""
    if not holder_name.strip():
        raise InvalidInput(_("A folio needs a holder name."))
    return Folio.objects.create(
        property=property,
        holder_name=holder_name.strip()[:200],
        guest=guest,
        company=company,
        currency=property.currency,
    )


def folio_holder_rename(*, folio: Folio, holder_name: str, actor=None) -> Folio:
    """Correct the name a folio is held under (the guest's identity checked at the desk).
    The folio is a working account, not a fiscal document: invoices keep the name they were
    issued with."""
    holder_name = (holder_name or "").strip()[:200]
    if not holder_name:
        raise InvalidInput(_("A folio needs a holder name."))
    if folio.holder_name != holder_name:
        folio.holder_name = holder_name
        folio.save(update_fields=["holder_name", "updated_at"])
    return folio


def folio_post_charges(
    *,
    folio: Folio,
    charges: Sequence[ChargeInput],
    actor=None,
    terminal: str = "",
    business_date: date | None = None,
    late: bool = False,
) -> list[FolioLine]:
    """Post charges to an open folio in the caller's transaction; VAT per line.

    Idempotent per `source`: lines whose source is already on the folio are skipped.
    `late`: a charge made before the stay's check-out reached us after it (an offline
    till's room charge): a settled folio opens again and shows the open balance.
    Raises InvalidInput when the folio is settled (and the charge is not late).
    """
    if folio.status != Folio.Status.OPEN:
        if not late:
            raise InvalidInput(_("This folio is settled: no new charges."))
        folio.status = Folio.Status.OPEN
        folio.left_open_at = folio.left_open_at or timezone.now()
        folio.left_open_reason = folio.left_open_reason or _(
            "Charge made offline before the check-out, received after it."
        )
        folio.save(update_fields=["status", "left_open_at", "left_open_reason", "updated_at"])
    today = folio.property.business_date()
    closed = folio.property.closed_through
    # a night posted late for a day already closed counts on the next open day
    if business_date is None or (closed is not None and business_date <= closed):
        business_date = today
    sources = [c.source for c in charges if c.source]
    already = (
        set(
            FolioLine.objects.filter(folio=folio, source__in=sources).values_list(
                "source", flat=True
            )
        )
        if sources
        else set()
    )
    lines = []
    for charge in charges:
        if charge.source and charge.source in already:
            continue
        total = quantize(charge.total)
        vat = vat_from_gross(total, charge.vat_rate)
        lines.append(
            FolioLine(
                folio=folio,
                business_date=business_date,
                service_date=charge.service_date,
                description=charge.description[:300],
                product_id=charge.product_id,
                quantity=charge.quantity,
                unit_price=quantize(charge.unit_price),
                total=total,
                vat_rate=charge.vat_rate,
                vat_amount=vat,
                net=total - vat,
                revenue_category=charge.revenue_category,
                applied_rule=charge.applied_rule[:200],
                source=charge.source,
                created_by=actor if getattr(actor, "pk", None) else None,
                terminal=terminal,
            )
        )
    with transaction.atomic():
        created = FolioLine.objects.bulk_create(lines)
        if created:
            webhook_emit(
                property=folio.property,
                event="folio.charge_posted",
                data={
                    "folio_id": folio.public_id,
                    "currency": folio.property.currency,
                    "lines": [
                        {
                            "description": line.description,
                            "quantity": line.quantity,
                            "unit_price": line.unit_price,
                            "total": line.total,
                            "vat_rate": line.vat_rate,
                            "service_date": line.service_date,
                            "business_date": line.business_date,
                            "source": line.source,
                        }
                        for line in created
                    ],
                },
            )
        return created


EXTERNAL_CHARGE_MAX_QUANTITY = Decimal("999")


@transaction.atomic
def folio_post_external_charge(
    *,
    folio: Folio,
    product_code: str,
    quantity: Decimal,
    source: str,
    unit_price: Decimal | None = None,
    description: str = "",
    service_date: date | None = None,
    may_set_price: bool = False,
    actor=None,
    terminal: str = "API",
) -> FolioLine:
    """Post a charge an outside system made (a spa's booking tool, the phone exchange, a
    restaurant on another till) to an open folio. What it sells is a product of the
    catalogue: its VAT rate and revenue category are the product's (never the caller's), its
    price today's API price (inventory.services.pricing.quote), or `unit_price` when the
    caller may set prices (`may_set_price`: the role's pos.price_override); the VAT is then
    taken out of the gross total like every other line.

    Idempotent per `source` (the caller's idempotency key): a replay returns the first line
    and posts nothing. Locks: the folio (against a settlement in between).
    Raises InvalidInput (unknown or counted product, bad quantity, settled folio),
    PermissionDenied (a price without the right)."""
    folio = (
        Folio.objects.select_for_update(of=("self",)).select_related("property").get(pk=folio.pk)
    )
    existing = FolioLine.objects.filter(folio=folio, source=source).first()
    if existing is not None:
        return existing
    if not (Decimal("0") < quantity <= EXTERNAL_CHARGE_MAX_QUANTITY):
        raise InvalidInput(
            _("The quantity must be between 0 and %(max)s.")
            % {"max": EXTERNAL_CHARGE_MAX_QUANTITY},
            extra={"field": "quantity"},
        )
    product = (
        Product.objects.filter(property=folio.property, code=product_code, is_active=True)
        .select_related("capacity_pool")
        .first()
    )
    if product is None:
        raise InvalidInput(_("Unknown product."), extra={"field": "product"})
    if product.capacity_pool_id is not None:
        raise InvalidInput(
            _("%(name)s is booked with a date or a time slot, not posted as a charge.")
            % {"name": product.name},
            extra={"field": "product"},
        )
    today = folio.property.business_date()
    line = quote(
        property=folio.property,
        channel=Channel.API,
        lines=[
            QuoteLineInput(
                product_id=product.pk,
                quantity=quantity,
                start=service_date or today,
                unit_price_override=unit_price,
            )
        ],
        allow_price_override=may_set_price,
        products={product.pk: product},
    ).lines[0]
    [posted] = folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput(
                description=(description or line.description)[:300],
                quantity=line.quantity,
                unit_price=line.unit_price,
                total=line.total,
                vat_rate=line.vat_rate,
                revenue_category=line.revenue_category,
                service_date=service_date or today,
                source=source,
                product_id=product.pk,
                applied_rule=line.applied_rule,
            )
        ],
        actor=actor,
        terminal=terminal,
    )
    audit_log(
        action="billing.folio.external_charge",
        property=folio.property,
        actor=actor,
        target=folio,
        data={"product": product.code, "quantity": str(quantity), "total": str(posted.total)},
    )
    return posted


def folio_totals(*, folio: Folio) -> dict[str, Decimal]:
    """Charges, payments and balance of a folio, aggregated in SQL."""
    charges = folio.lines.aggregate(total=Sum("total"))["total"] or ZERO
    paid = folio.payments.aggregate(total=Sum("amount"))["total"] or ZERO
    return {"charges": charges, "payments": paid, "balance": charges - paid}


def folio_vat_breakdown(*, folio: Folio) -> list[dict]:
    """[{rate, net, vat, gross}] by rate, highest rate first, from the locked line values."""
    return list(
        folio.lines.exclude(Q(revenue_category="tourist_tax") & Q(vat_rate=0))
        .values("vat_rate")
        .annotate(net=Sum("net"), vat=Sum("vat_amount"), gross=Sum("total"))
        .order_by("-vat_rate")
    )


def folio_reverse_lines(
    *,
    folio: Folio,
    lines: Sequence[FolioLine],
    actor=None,
    terminal: str = "",
    source_prefix: str = "reversal",
) -> list[FolioLine]:
    """Post one reversing line (negative quantity and amounts, `reverses=` the original) per
    line, in the caller's transaction. Lines are append-only: the original stays.

    Idempotent per original line: the reversal's source is "<source_prefix>:<line id>".
    Raises InvalidInput when the folio is settled or a line belongs to another folio.
    """
    if folio.status != Folio.Status.OPEN:
        raise InvalidInput(_("This folio is settled: no new charges."))
    if any(line.folio_id != folio.pk for line in lines):
        raise InvalidInput(_("This line belongs to another folio."))
    sources = {f"{source_prefix}:{line.pk}": line for line in lines}
    already = set(
        FolioLine.objects.filter(folio=folio, source__in=list(sources)).values_list(
            "source", flat=True
        )
    )
    business_date = folio.property.business_date()
    reversals = [
        FolioLine(
            folio=folio,
            business_date=business_date,
            service_date=line.service_date,
            description=line.description,
            product_id=line.product_id,
            quantity=-line.quantity,
            unit_price=line.unit_price,
            total=-line.total,
            vat_rate=line.vat_rate,
            vat_amount=-line.vat_amount,
            net=-line.net,
            revenue_category=line.revenue_category,
            applied_rule=line.applied_rule,
            source=source,
            reverses=line,
            created_by=actor if getattr(actor, "pk", None) else None,
            terminal=terminal[:100],
        )
        for source, line in sources.items()
        if source not in already
    ]
    return FolioLine.objects.bulk_create(reversals)


def folio_leave_open(*, folio: Folio, approver, reason: str, actor=None) -> Folio:
    """Let a stay leave with its balance not settled: the folio stays open, in the open
    balances list, with who approved (a manager whose PIN the caller checked) and why.
    Runs in the caller's transaction (the check-out). Raises InvalidInput without a reason."""
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise InvalidInput(_("Give the reason for leaving the balance open."))
    if getattr(approver, "pk", None) is None:
        raise InvalidInput(_("Choose the manager who approves."))
    folio.left_open_at = timezone.now()
    folio.left_open_reason = reason
    folio.left_open_by = approver
    folio.save(update_fields=["left_open_at", "left_open_reason", "left_open_by", "updated_at"])
    totals = folio_totals(folio=folio)
    audit_log(
        action="billing.folio.left_open",
        property=folio.property,
        actor=actor,
        target=folio,
        data={"balance": str(totals["balance"]), "reason": reason, "approver": approver.pk},
    )
    return folio
