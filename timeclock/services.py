"""The time clock's writes: punches at a terminal (clock in, break, back, clock out) checked
with the person's PIN through core's one PIN check, a manager's correction (audited before →
after), the planned shifts and the property's settings. Each write is one transaction."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import Conflict, InvalidInput, PermissionDenied
from core.models import Membership, Property
from core.roles import role_has
from core.services import staff_pin_verify
from timeclock.lock_objects import open_shift_for_update, shift_for_update
from timeclock.models import PlannedShift, ShiftBreak, TimeclockSettings, WorkedShift

IN, BREAK, RESUME, OUT = "in", "break", "resume", "out"
ACTIONS = (IN, BREAK, RESUME, OUT)
AUDIT_CHANNEL = "timeclock"


def _local_time(moment: datetime, property: Property) -> str:
    return time_format(timezone.localtime(moment, property.tz), "H:i")


def _open_break(shift: WorkedShift) -> ShiftBreak | None:
    return shift.breaks.filter(end__isnull=True).first()


@dataclass(frozen=True)
class Punch:
    """What a punch did, for the screen's confirmation."""

    action: str
    shift: WorkedShift
    at: datetime


def clock_punch(
    *,
    property: Property,
    user,
    action: str,
    outlet_id: int | None = None,
    terminal: str = "",
    now: datetime | None = None,
) -> Punch:
    """Record one punch of `user` (whose PIN was checked): clock in opens a shift, a break
    opens a break of the open shift, back ends it, clock out ends the shift (and its break).
    Locks: the person's open shift. A punch that does not fit the person's state (clocking
    in twice, a break while clocked out) is refused with what their state is; nothing is
    written. Raises: InvalidInput, Conflict."""
    if action not in ACTIONS:
        raise InvalidInput(_("Choose clock in, break, back or clock out."))
    now = now or timezone.now()
    with transaction.atomic():
        shift = open_shift_for_update(property_id=property.pk, user_id=user.pk)
        if action == IN:
            if shift is not None:
                raise Conflict(
                    _("You are already clocked in since %(time)s.")
                    % {"time": _local_time(shift.clock_in, property)}
                )
            try:
                with transaction.atomic():
                    shift = WorkedShift.objects.create(
                        property=property,
                        user=user,
                        outlet_id=outlet_id,
                        clock_in=now,
                        terminal=terminal[:100],
                    )
            except IntegrityError:  # a second tablet's clock-in won the race
                raise Conflict(_("You are already clocked in."))
        else:
            if shift is None:
                raise Conflict(_("You are not clocked in."))
            open_break = _open_break(shift)
            if action == BREAK:
                if open_break is not None:
                    raise Conflict(
                        _("You are on a break since %(time)s.")
                        % {"time": _local_time(open_break.start, property)}
                    )
                ShiftBreak.objects.create(shift=shift, start=now)
            elif action == RESUME:
                if open_break is None:
                    raise Conflict(_("You are not on a break."))
                open_break.end = now
                open_break.save(update_fields=["end"])
            else:
                if open_break is not None:
                    open_break.end = now
                    open_break.save(update_fields=["end"])
                shift.clock_out = now
                shift.save(update_fields=["clock_out", "updated_at"])
        audit_log(
            action=f"timeclock.punch.{action}",
            property=property,
            actor=user,
            target=shift,
            terminal=terminal,
            channel=AUDIT_CHANNEL,
        )
    return Punch(action=action, shift=shift, at=now)


def clock_punch_with_pin(
    *,
    property: Property,
    user_id: int,
    pin: str,
    action: str,
    terminal: str = "",
    device: str = "",
    outlet_id: int | None = None,
) -> Punch:
    """A punch at a shared terminal: the PIN is checked by core's `staff_pin_verify` (its
    counters per person, device and property; the failures it audits are kept, so it runs
    before the punch's transaction), then `clock_punch`.
    Raises: PermissionDenied (PinThrottled) from the PIN check, what clock_punch raises."""
    if action not in ACTIONS:
        raise InvalidInput(_("Choose clock in, break, back or clock out."))
    user = staff_pin_verify(
        property=property, user_id=user_id, pin=pin, terminal=terminal, device=device
    )
    return clock_punch(
        property=property, user=user, action=action, outlet_id=outlet_id, terminal=terminal
    )


def _require_manager(*, property: Property, actor) -> None:
    """Only a manager of the property (capability manage.staff) changes the clock's rows."""
    if getattr(actor, "is_superuser", False):
        return
    role = (
        Membership.objects.filter(property=property, user=actor, is_active=True)
        .values_list("role", flat=True)
        .first()
    )
    if not role_has(role, "manage.staff"):
        raise PermissionDenied(_("Only a manager corrects the hours."))


def _shift_state(shift: WorkedShift, breaks: list[ShiftBreak]) -> dict:
    return {
        "clock_in": shift.clock_in.isoformat(),
        "clock_out": shift.clock_out.isoformat() if shift.clock_out else None,
        "breaks": [[b.start.isoformat(), b.end.isoformat() if b.end else None] for b in breaks],
    }


def _check_times(
    clock_in: datetime, clock_out: datetime | None, breaks: list[tuple[datetime, datetime]]
) -> None:
    if clock_out is not None and clock_out <= clock_in:
        raise InvalidInput(_("The clock-out must be after the clock-in."))
    if clock_out is not None and (clock_out - clock_in).total_seconds() > 24 * 3600:
        raise InvalidInput(_("A shift lasts 24 hours at most."))
    last_end = clock_in
    for start, end in sorted(breaks):
        if end <= start:
            raise InvalidInput(_("A break must end after it starts."))
        if start < last_end or (clock_out is not None and end > clock_out):
            raise InvalidInput(_("Breaks lie inside the shift and do not overlap."))
        last_end = end


def shift_correct(
    *,
    shift: WorkedShift,
    actor,
    clock_in: datetime,
    clock_out: datetime | None,
    breaks: list[tuple[datetime, datetime]],
    reason: str,
) -> WorkedShift:
    """A manager's correction of a shift (a forgotten clock-out, a wrong break): the shift's
    times and its breaks replaced, the shift marked corrected, the audit entry holding the
    times before and after and the reason. Locks: the shift.
    Raises: PermissionDenied (not a manager of the shift's property), InvalidInput."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the correction."))
    _require_manager(property=shift.property, actor=actor)
    _check_times(clock_in, clock_out, breaks)
    with transaction.atomic():
        locked = shift_for_update(shift_id=shift.pk)
        old_breaks = list(locked.breaks.all())
        before = _shift_state(locked, old_breaks)
        locked.clock_in, locked.clock_out, locked.corrected = clock_in, clock_out, True
        try:
            with transaction.atomic():
                locked.save(update_fields=["clock_in", "clock_out", "corrected", "updated_at"])
        except IntegrityError:
            raise InvalidInput(_("This person already has an open shift."))
        locked.breaks.all().delete()
        new_breaks = ShiftBreak.objects.bulk_create(
            [ShiftBreak(shift=locked, start=s, end=e) for s, e in sorted(breaks)]
        )
        audit_log(
            action="timeclock.shift.corrected",
            property=locked.property,
            actor=actor,
            target=locked,
            channel=AUDIT_CHANNEL,
            data={
                "user": locked.user_id,
                "before": before,
                "after": _shift_state(locked, new_breaks),
                "reason": reason[:300],
            },
        )
    return locked


def shift_add(
    *,
    property: Property,
    user,
    actor,
    clock_in: datetime,
    clock_out: datetime,
    breaks: list[tuple[datetime, datetime]],
    reason: str,
) -> WorkedShift:
    """A shift a person worked but never clocked, added by a manager (audited).
    Raises: PermissionDenied, InvalidInput."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the correction."))
    _require_manager(property=property, actor=actor)
    if not Membership.objects.filter(property=property, user=user).exists():
        raise InvalidInput(_("This person does not work here."))
    _check_times(clock_in, clock_out, breaks)
    with transaction.atomic():
        shift = WorkedShift.objects.create(
            property=property, user=user, clock_in=clock_in, clock_out=clock_out, corrected=True
        )
        new_breaks = ShiftBreak.objects.bulk_create(
            [ShiftBreak(shift=shift, start=s, end=e) for s, e in sorted(breaks)]
        )
        audit_log(
            action="timeclock.shift.added",
            property=property,
            actor=actor,
            target=shift,
            channel=AUDIT_CHANNEL,
            data={
                "user": user.pk,
                "after": _shift_state(shift, new_breaks),
                "reason": reason[:300],
            },
        )
    return shift


def planned_shift_create(
    *, property: Property, actor, user, outlet, start: datetime, end: datetime
) -> PlannedShift:
    """Plan a shift for a person at an outlet of the property. Raises: PermissionDenied,
    InvalidInput (end before start, longer than a day, someone or an outlet from elsewhere)."""
    _require_manager(property=property, actor=actor)
    if end <= start:
        raise InvalidInput(_("The shift must end after it starts."))
    if (end - start).total_seconds() > 24 * 3600:
        raise InvalidInput(_("A shift lasts 24 hours at most."))
    if (
        outlet.property_id != property.pk
        or not Membership.objects.filter(property=property, user=user, is_active=True).exists()
    ):
        raise InvalidInput(_("Choose a person and an outlet of this property."))
    with transaction.atomic():
        planned = PlannedShift.objects.create(
            property=property, outlet=outlet, user=user, start=start, end=end, created_by=actor
        )
        audit_log(
            action="timeclock.planned.created",
            property=property,
            actor=actor,
            target=planned,
            channel=AUDIT_CHANNEL,
            data={
                "user": user.pk,
                "outlet": outlet.pk,
                "start": start.isoformat(),
                "end": end.isoformat(),
            },
        )
    return planned


def planned_shift_delete(*, planned: PlannedShift, actor) -> None:
    _require_manager(property=planned.property, actor=actor)
    with transaction.atomic():
        audit_log(
            action="timeclock.planned.deleted",
            property=planned.property,
            actor=actor,
            target=planned,
            channel=AUDIT_CHANNEL,
            data={"user": planned.user_id, "start": planned.start.isoformat()},
        )
        planned.delete()


def timeclock_settings_update(*, property: Property, actor, tips_pooled: bool) -> TimeclockSettings:
    """The property's choice to pool its tips (shared by hours worked), audited."""
    _require_manager(property=property, actor=actor)
    with transaction.atomic():
        settings_row, _created = TimeclockSettings.objects.get_or_create(property=property)
        before = settings_row.tips_pooled
        settings_row.tips_pooled = tips_pooled
        settings_row.save(update_fields=["tips_pooled"])
        audit_log(
            action="timeclock.settings.updated",
            property=property,
            actor=actor,
            target=settings_row,
            channel=AUDIT_CHANNEL,
            data={"tips_pooled": [before, tips_pooled]},
        )
    return settings_row
