"""Campaigns from the top layer: who a campaign goes to, when, and what it brought (CRM-3).

The audience needs the segment (sales, stays: reporting.segments), so it is read here and
handed to crm's `campaign_queue` as (guest id, key) pairs. The report reads crm's recipients
and vouchers, pos's orders and billing's tickets paid with them, and pms's later stays.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import Cast, ExtractDay, ExtractMonth

from core.money import ZERO
from crm.models import Campaign, CampaignRecipient, GiftCardMovement
from crm.services.campaigns import campaign_queue, campaign_start
from pms.models import Reservation
from pos.models import Order
from reporting.segments import segment_guests

ORDER_PREFIX = "pos.order:"
CHECK_OUT_CATCH_UP_DAYS = 7  # a trigger missed (beat down) still queues within a week


def _audience(campaign: Campaign):
    segment = campaign.segment
    return segment_guests(property=campaign.property, match=segment.match, rules=segment.rules)


def campaign_send_now(*, campaign: Campaign, actor) -> int:
    """A one-off campaign: started and queued to its segment now (one query for the
    audience, one bulk insert). Returns how many e-mails were queued."""
    campaign = campaign_start(campaign=campaign, actor=actor)
    if campaign.trigger != Campaign.Trigger.ONE_OFF:
        return 0
    ids = _audience(campaign).values_list("pk", flat=True)
    return campaign_queue(campaign=campaign, recipients=((pk, "once") for pk in ids))


def campaign_due_recipients(*, campaign: Campaign, today: date) -> list[tuple[int, str]]:
    """The (guest, key) pairs a triggered campaign is due to send today. The key names the
    occasion (a stay, a birthday's year, a season), so a guest gets it once per occasion."""
    audience = _audience(campaign).values("pk")
    days = timedelta(days=campaign.trigger_days)
    if campaign.trigger == Campaign.Trigger.AFTER_CHECK_OUT:
        latest = today - days
        return [
            (guest_id, f"stay:{pk}")
            for guest_id, pk in Reservation.objects.filter(
                property=campaign.property,
                status=Reservation.Status.CHECKED_OUT,
                departure__lte=latest,
                departure__gt=latest - timedelta(days=CHECK_OUT_CATCH_UP_DAYS),
                guest_id__in=audience,
            )
            .order_by("pk")
            .values_list("guest_id", "pk")
        ]
    if campaign.trigger == Campaign.Trigger.BEFORE_BIRTHDAY:
        birthday = today + days
        return [
            (pk, f"birthday:{birthday.year}")
            for pk in _audience(campaign)
            .annotate(m=ExtractMonth("birth_date"), d=ExtractDay("birth_date"))
            .filter(m=birthday.month, d=birthday.day)
            .values_list("pk", flat=True)
        ]
    if campaign.trigger == Campaign.Trigger.BEFORE_SEASON and campaign.season_start:
        if campaign.season_start - days <= today < campaign.season_start:
            key = f"season:{campaign.season_start.isoformat()}"
            return [(pk, key) for pk in _audience(campaign).values_list("pk", flat=True)]
    return []


def campaigns_trigger(*, today: date | None = None) -> int:
    """Beat, hourly: every active triggered campaign queues who is due (idempotent by key).
    Returns how many e-mails were queued."""
    queued = 0
    for campaign in (
        Campaign.objects.filter(status=Campaign.Status.ACTIVE)
        .exclude(trigger=Campaign.Trigger.ONE_OFF)
        .select_related("segment", "property")
        .order_by("pk")
    ):
        day = today or campaign.property.business_date()
        queued += campaign_queue(
            campaign=campaign, recipients=campaign_due_recipients(campaign=campaign, today=day)
        )
    return queued


@dataclass
class CampaignReport:
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    failed: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    redeemed: int = 0
    revenue: Decimal = ZERO
    discount: Decimal = ZERO
    repeat_stays: int = 0

    @property
    def conversion(self) -> Decimal | None:
        """Redeemed vouchers per e-mail delivered (a share, 0–1)."""
        if not self.delivered:
            return None
        return (Decimal(self.redeemed) / Decimal(self.delivered)).quantize(Decimal("0.0001"))

    @property
    def conversion_percent(self) -> Decimal | None:
        """The conversion as a percentage, for the `rate` filter."""
        share = self.conversion
        return None if share is None else (share * 100).quantize(Decimal("0.01"))


def campaign_report(*, campaign: Campaign) -> CampaignReport:
    """Sent (accepted by our mail server), bounced (sent back by the recipient's server,
    POST /m/bounces/), delivered (sent − bounced), failed (refused by our server), opened,
    clicked, redeemed (vouchers used at any till), revenue attributed (the tickets they paid
    part of), conversion, and repeat stays (recipients who booked a stay starting within 12
    months of the e-mail). A handful of aggregate queries, whatever the campaign's size."""
    statuses = CampaignRecipient.Status
    figures = CampaignRecipient.objects.filter(campaign=campaign).aggregate(
        queued=Count("pk", filter=Q(status__in=(statuses.QUEUED, statuses.SENDING))),
        sent=Count("pk", filter=Q(status=statuses.SENT)),
        bounced=Count("pk", filter=Q(status=statuses.SENT, bounced_at__isnull=False)),
        failed=Count("pk", filter=Q(status=statuses.FAILED)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    )
    report = CampaignReport(**figures)
    report.delivered = report.sent - report.bounced
    redemptions = GiftCardMovement.objects.filter(
        card__campaign=campaign, kind=GiftCardMovement.Kind.REDEEM
    )
    refunded = set(
        GiftCardMovement.objects.filter(
            card__campaign=campaign, kind=GiftCardMovement.Kind.REFUND
        ).values_list("reference", flat=True)
    )
    references = {
        ref for ref in redemptions.values_list("reference", flat=True) if ref not in refunded
    }
    report.redeemed = (
        redemptions.exclude(reference__in=refunded).values("card_id").distinct().count()
    )
    report.discount = -(
        redemptions.exclude(reference__in=refunded).aggregate(s=Sum("amount"))["s"] or ZERO
    )
    order_ids = [int(r[len(ORDER_PREFIX) :]) for r in references if r.startswith(ORDER_PREFIX)]
    report.revenue = (
        Order.objects.filter(pk__in=order_ids, ticket__isnull=False).aggregate(
            s=Sum("ticket__total")
        )["s"]
        or ZERO
    )
    # a stay booked after the e-mail, starting within 12 months of it, not cancelled
    later_stay = Reservation.objects.filter(
        property=campaign.property,
        guest_id=OuterRef("guest_id"),
        created_at__gt=OuterRef("sent_at"),
        arrival__lte=Cast(
            ExpressionWrapper(
                OuterRef("sent_at") + timedelta(days=365), output_field=DateTimeField()
            ),
            DateField(),
        ),
    ).exclude(status__in=(Reservation.Status.CANCELLED, Reservation.Status.NO_SHOW))
    report.repeat_stays = (
        CampaignRecipient.objects.filter(campaign=campaign, status=statuses.SENT)
        .filter(Exists(later_stay))
        .values("guest_id")
        .distinct()
        .count()
    )
    return report
