"""Every row lock of the timeclock app: a person's open shift (their punches serialise on
it), a shift a manager corrects or closes, the property's settings row (the roster's
writes). Evaluated on purpose: a lazy select_for_update takes none."""

from core.queries import one_by_key
from timeclock.models import WorkedShift


def open_shift_for_update(*, property_id: int, user_id: int) -> WorkedShift | None:
    """The person's open shift at the property, locked until commit (or None)."""
    return one_by_key(
        WorkedShift.objects.filter(
            property_id=property_id, user_id=user_id, clock_out__isnull=True
        ).select_for_update(of=("self",))
    )


def shift_for_update(*, shift_id: int) -> WorkedShift | None:
    return one_by_key(WorkedShift.objects.filter(pk=shift_id).select_for_update(of=("self",)))


def roster_lock(*, property_id: int) -> None:
    """The property's time-clock settings row, locked until commit: the roster's writes
    (a week copied, a shift edited) run one at a time, so a double tap on "copy" finds the
    first tap's copies. The row is created first if the property has none."""
    from timeclock.models import TimeclockSettings

    TimeclockSettings.objects.get_or_create(property_id=property_id)
    list(
        TimeclockSettings.objects.filter(property_id=property_id)
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
