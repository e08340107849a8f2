"""The count of the whole hotel in one morning (INV-5): a batch of blind counts, one per
chosen location (every active one by default), each counted on its own sheet by whoever is
there (inventory.services.stock.count_submit), then posted by a manager — every variance of
every location into count movements in ONE transaction — with the variance report."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput, PermissionDenied
from core.models import Property
from inventory.models import StockCount, StockCountBatch, StockCountLine, StockLocation
from inventory.services.stock import count_approve

Status = StockCount.Status


@transaction.atomic
def count_batch_start(
    *, property: Property, actor, location_ids: Sequence[int] | None = None
) -> StockCountBatch:
    """Open a blind count at each chosen location of the property (None: every active one)."""
    locations = StockLocation.objects.filter(property=property, is_active=True)
    if location_ids is not None:
        locations = locations.filter(pk__in=list(location_ids))
    locations = list(locations)
    if not locations or (location_ids is not None and len(locations) != len(set(location_ids))):
        raise InvalidInput(_("Choose the locations to count."))
    batch = StockCountBatch.objects.create(property=property, started_by=actor)
    StockCount.objects.bulk_create(
        [
            StockCount(property=property, location=location, batch=batch, started_by=actor)
            for location in locations
        ]
    )
    return batch


def count_batch_post(*, batch: StockCountBatch, approver, is_manager: bool) -> int:
    """Post every submitted count of the batch into count movements, all or nothing; refused
    while a location is still being counted. Returns the number of movements written. A
    second tap finds the batch posted and writes nothing."""
    if not is_manager:
        raise PermissionDenied(_("Only a manager posts a count."))
    with transaction.atomic():
        batch = StockCountBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == StockCountBatch.Status.POSTED:
            raise InvalidInput(_("This count was already posted."))
        counts = list(batch.counts.select_related("location", "property").order_by("pk"))
        waiting = [c.location.name for c in counts if c.status == Status.OPEN]
        if waiting:
            raise InvalidInput(
                _("Still being counted: %(locations)s.") % {"locations": ", ".join(waiting)}
            )
        written = 0
        for count in counts:
            if count.status == Status.SUBMITTED:
                written += len(count_approve(count=count, approver=approver, is_manager=True))
        batch.status = StockCountBatch.Status.POSTED
        batch.posted_by = approver
        batch.posted_at = timezone.now()
        batch.save(update_fields=["status", "posted_by", "posted_at"])
    return written


@dataclass
class LocationVariance:
    location: StockLocation
    count: StockCount
    lines: list[StockCountLine] = field(default_factory=list)
    value: Decimal = Decimal("0.00")


def count_batch_report(*, batch: StockCountBatch) -> tuple[list[LocationVariance], Decimal]:
    """Per location, the submitted lines with their variance valued at cost, and the whole
    hotel's variance at cost (two queries whatever the number of locations and items)."""
    rows = {
        count.pk: LocationVariance(location=count.location, count=count)
        for count in batch.counts.select_related("location").order_by("location__name")
    }
    lines = (
        StockCountLine.objects.filter(count__batch=batch)
        .select_related("item")
        .order_by("item__name")
    )
    for line in lines:
        row = rows[line.count_id]
        row.lines.append(line)
        row.value += line.variance_value or Decimal(0)
    report = list(rows.values())
    return report, sum((row.value for row in report), Decimal("0.00"))
