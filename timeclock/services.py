"""The time clock's writes: punches at a terminal (clock in, break, back, clock out) checked
with the person's PIN through core's one PIN check, a manager's correction (audited before →
after), the planned shifts and the property's settings. Each write is one transaction."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import Conflict, InvalidInput, PermissionDenied
from core.models import Membership, Property
from core.roles import role_has
from core.services import staff_pin_verify
from timeclock.lock_objects import open_shift_for_update, roster_lock, shift_for_update
from timeclock.models import PlannedShift, ShiftBreak, TimeclockSettings, WorkedShift
from timeclock.selectors import local_midnight
from timeclock.signals import shift_closed

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


def _shift_audit(
    action: str, shift: WorkedShift, breaks, *, actor, reason: str, before: dict | None = None
) -> None:
    """A manager's change to a worked shift, audited the one way (before → after, why)."""
    data = {"user": shift.user_id}
    if before is not None:
        data["before"] = before
    data |= {"after": _shift_state(shift, breaks), "reason": reason[:300]}
    audit_log(
        action=action,
        property=shift.property,
        actor=actor,
        target=shift,
        channel=AUDIT_CHANNEL,
        data=data,
    )


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
        if before["clock_out"] is None and clock_out is not None:
            shift_closed.send(sender=WorkedShift, shift=locked)
        new_breaks = ShiftBreak.objects.bulk_create(
            [ShiftBreak(shift=locked, start=s, end=e) for s, e in sorted(breaks)]
        )
        _shift_audit(
            "timeclock.shift.corrected",
            locked,
            new_breaks,
            actor=actor,
            reason=reason,
            before=before,
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
        _shift_audit("timeclock.shift.added", shift, new_breaks, actor=actor, reason=reason)
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


TIMECLOCK_SETTINGS_FIELDS = (
    "weekly_hours",
    "forgotten_after_hours",
    "clock_out_margin_minutes",
    "late_after_minutes",
    "tips_pooled",
)
# (lowest, highest) of each number: 48 hours is the most a week may hold (Code du travail
# L3121-20); an open shift is forgotten within a day; the margins stay below a few hours
_LIMITS = {
    "weekly_hours": (1, 48),
    "forgotten_after_hours": (1, 24),
    "clock_out_margin_minutes": (0, 600),
    "late_after_minutes": (0, 120),
}


def timeclock_settings_save(*, property: Property, actor, fields: dict) -> TimeclockSettings:
    """The manager's time-clock settings (/manage/time/settings/, audited
    `timeclock.settings`): the legal week, when an open shift counts as forgotten, when a
    clock-in is late, whether the tips are pooled. Raises InvalidInput (nothing saved)."""
    from core.audit import audited_save

    if set(fields) - set(TIMECLOCK_SETTINGS_FIELDS):
        raise InvalidInput(_("Unknown field."))
    messages = {
        "weekly_hours": _("The legal week is between 1 and 48 hours."),
        "forgotten_after_hours": _("An open shift is forgotten after 1 to 24 hours."),
        "clock_out_margin_minutes": _("The margin after a planned end is 0 to 600 minutes."),
        "late_after_minutes": _("A clock-in is late after 0 to 120 minutes."),
    }
    for name, (low, high) in _LIMITS.items():
        value = fields.get(name)
        if value is None or not low <= int(value) <= high:
            raise InvalidInput(messages[name], extra={"field": name})
    fields = {**fields, "tips_pooled": bool(fields.get("tips_pooled"))}
    with transaction.atomic():
        roster_lock(property_id=property.pk)  # the row exists and is ours until commit
        row = TimeclockSettings.objects.get(property=property)
        return audited_save(
            row,
            names=TIMECLOCK_SETTINGS_FIELDS,
            changes=fields,
            action="timeclock.settings",
            actor=actor,
        )


def shift_close(*, shift: WorkedShift, actor, clock_out: datetime, reason: str) -> WorkedShift:
    """A manager closes a shift someone forgot to clock out of, at the time they say it
    ended, with a reason (audited `timeclock.shift.closed`, before → after); a break still
    open ends then too. Refused: an end before the clock-in (or before the open break's
    start), an end in the future, a shift already closed. The forgotten clock-out alert is
    resolved by reporting's next evaluation (the shift is no longer open).
    Locks: the shift. Raises: PermissionDenied, InvalidInput, Conflict."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the correction."))
    _require_manager(property=shift.property, actor=actor)
    if clock_out > timezone.now():
        raise InvalidInput(_("The clock-out cannot be in the future."))
    with transaction.atomic():
        locked = shift_for_update(shift_id=shift.pk)
        if locked is None or locked.clock_out is not None:
            raise Conflict(_("This shift is already closed."))
        if clock_out <= locked.clock_in:
            raise InvalidInput(_("The clock-out must be after the clock-in."))
        if (clock_out - locked.clock_in).total_seconds() > 24 * 3600:
            raise InvalidInput(_("A shift lasts 24 hours at most."))
        breaks = list(locked.breaks.all())
        before = _shift_state(locked, breaks)
        for open_break in (b for b in breaks if b.end is None):
            if clock_out <= open_break.start:
                raise InvalidInput(
                    _("The clock-out must be after the break that started at %(time)s.")
                    % {"time": _local_time(open_break.start, locked.property)}
                )
            open_break.end = clock_out
            open_break.save(update_fields=["end"])
        locked.clock_out, locked.corrected = clock_out, True
        locked.save(update_fields=["clock_out", "corrected", "updated_at"])
        shift_closed.send(sender=WorkedShift, shift=locked)
        _shift_audit(
            "timeclock.shift.closed", locked, breaks, actor=actor, reason=reason, before=before
        )
    return locked


def _planned_state(planned: PlannedShift) -> dict:
    return {
        "user": planned.user_id,
        "outlet": planned.outlet_id,
        "start": planned.start.isoformat(),
        "end": planned.end.isoformat(),
    }


def _check_planned(*, property: Property, user, outlet, start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidInput(_("The shift must end after it starts."))
    if (end - start).total_seconds() > 24 * 3600:
        raise InvalidInput(_("A shift lasts 24 hours at most."))
    if (
        outlet.property_id != property.pk
        or not Membership.objects.filter(property=property, user=user, is_active=True).exists()
    ):
        raise InvalidInput(_("Choose a person and an outlet of this property."))


def planned_shift_update(
    *, planned: PlannedShift, actor, user, outlet, start: datetime, end: datetime
) -> PlannedShift:
    """Change a planned shift's person, outlet or times (audited before → after). Refused
    like a new shift, and when the person already has another shift planned at that time.
    Locks: the property's roster. Raises: PermissionDenied, InvalidInput."""
    property = planned.property
    _require_manager(property=property, actor=actor)
    _check_planned(property=property, user=user, outlet=outlet, start=start, end=end)
    with transaction.atomic():
        roster_lock(property_id=property.pk)
        if (
            PlannedShift.objects.filter(property=property, user=user, start__lt=end, end__gt=start)
            .exclude(pk=planned.pk)
            .exists()
        ):
            raise InvalidInput(_("This person already has a shift planned at that time."))
        before = _planned_state(planned)
        planned.user, planned.outlet, planned.start, planned.end = user, outlet, start, end
        planned.save(update_fields=["user", "outlet", "start", "end"])
        audit_log(
            action="timeclock.planned.updated",
            property=property,
            actor=actor,
            target=planned,
            channel=AUDIT_CHANNEL,
            data={"before": before, "after": _planned_state(planned)},
        )
    return planned


@dataclass(frozen=True)
class RosterSkip:
    """A planned shift of the source week that was not copied, and why (shown to the
    manager)."""

    planned: PlannedShift
    reason: str


@dataclass(frozen=True)
class RosterCopy:
    copied: list
    already: int
    skipped: list


def planned_week_copy(
    *, property: Property, actor, from_monday: date, to_monday: date
) -> RosterCopy:
    """Copy the shifts planned in from_monday's week (by their start) into to_monday's week,
    same weekday and local times (a DST change keeps the wall clock). A shift already there
    (same person, outlet and times) is left as is, so a second tap copies nothing; a shift
    whose person is no longer at the property, whose outlet is closed, or that overlaps
    another shift of the person in the target week is skipped and reported. Audited
    `timeclock.planned.copied` once per copy that wrote something. Locks: the roster.
    Raises: PermissionDenied, InvalidInput (a week onto itself)."""
    _require_manager(property=property, actor=actor)
    if from_monday == to_monday:
        raise InvalidInput(_("Choose another week to copy from."))
    shift_by = to_monday - from_monday
    tz = property.tz
    lo = local_midnight(from_monday, property)
    hi = local_midnight(from_monday + timedelta(weeks=1), property)
    with transaction.atomic():
        roster_lock(property_id=property.pk)
        source = list(
            PlannedShift.objects.filter(property=property, start__gte=lo, start__lt=hi)
            .select_related("user", "outlet")
            .order_by("start", "pk")
        )
        active = set(
            Membership.objects.filter(
                property=property, is_active=True, user__is_active=True
            ).values_list("user_id", flat=True)
        )

        def moved(moment: datetime) -> datetime:
            local = timezone.localtime(moment, tz)
            return datetime.combine(local.date() + shift_by, local.time(), tzinfo=tz)

        targets = [(p, moved(p.start), moved(p.end)) for p in source]
        t_lo = min((s for _p, s, _e in targets), default=None)
        t_hi = max((e for _p, _s, e in targets), default=None)
        existing = (
            list(PlannedShift.objects.filter(property=property, start__lt=t_hi, end__gt=t_lo))
            if targets
            else []
        )
        copied, skipped, already = [], [], 0
        for planned, start, end in targets:
            same = [
                e
                for e in existing
                if (e.user_id, e.outlet_id, e.start, e.end)
                == (planned.user_id, planned.outlet_id, start, end)
            ]
            if same:
                already += 1
                continue
            if planned.user_id not in active:
                skipped.append(RosterSkip(planned, _("no longer works here")))
            elif not planned.outlet.is_active:
                skipped.append(RosterSkip(planned, _("the outlet is closed")))
            elif any(
                e.user_id == planned.user_id and e.start < end and e.end > start for e in existing
            ):
                skipped.append(RosterSkip(planned, _("overlaps a shift already planned")))
            else:
                new = PlannedShift(
                    property=property,
                    outlet_id=planned.outlet_id,
                    user_id=planned.user_id,
                    start=start,
                    end=end,
                    created_by=actor,
                )
                copied.append(new)
                existing.append(new)
        PlannedShift.objects.bulk_create(copied)
        if copied:
            audit_log(
                action="timeclock.planned.copied",
                property=property,
                actor=actor,
                target=None,
                channel=AUDIT_CHANNEL,
                data={
                    "from": from_monday.isoformat(),
                    "to": to_monday.isoformat(),
                    "copied": len(copied),
                    "skipped": len(skipped),
                },
            )
    return RosterCopy(copied=copied, already=already, skipped=skipped)
