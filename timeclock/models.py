"""Who worked when: shifts clocked at a terminal with a PIN (and their breaks), the shifts a
manager planned per outlet, and the property's time-clock settings. Hours are never stored:
they are read from these rows (`timeclock.selectors`), so a correction changes them at once."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import Property, TimeStampedModel


class WorkedShift(TimeStampedModel):
    """One stretch of work from clock-in to clock-out. At most one open shift per person and
    property (the database holds it); a correction by a manager is audited before → after."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="worked_shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outlet = models.ForeignKey(
        "pos.Outlet", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    clock_in = models.DateTimeField()
    clock_out = models.DateTimeField(null=True, blank=True)
    terminal = models.CharField(max_length=100, blank=True)
    corrected = models.BooleanField(default=False)

    class Meta:
        ordering = ["clock_in", "pk"]
        indexes = [models.Index(fields=["property", "clock_in"])]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "user"],
                condition=Q(clock_out__isnull=True),
                name="worked_shift_one_open",
            ),
            models.CheckConstraint(
                condition=Q(clock_out__isnull=True) | Q(clock_out__gt=F("clock_in")),
                name="worked_shift_out_after_in",
            ),
        ]


class ShiftBreak(models.Model):
    """A break inside a worked shift (unpaid: its time is taken off the hours worked)."""

    shift = models.ForeignKey(WorkedShift, on_delete=models.CASCADE, related_name="breaks")
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift"], condition=Q(end__isnull=True), name="shift_break_one_open"
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")), name="shift_break_end_after"
            ),
        ]


class PlannedShift(models.Model):
    """A shift a manager planned for a person at an outlet (the week's planning screen)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="planned_shifts")
    outlet = models.ForeignKey("pos.Outlet", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["property", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="planned_shift_end_after")
        ]


class TimeclockSettings(models.Model):
    """A property's choices: its legal week, when an open shift counts as forgotten (after
    `forgotten_after_hours`, or `clock_out_margin_minutes` past the end of the shift planned
    for it), when a clock-in is late, and whether the tips are pooled and shared by hours
    worked. Its row is also what the planning's writes lock (one roster write at a time)."""

    property = models.OneToOneField(
        Property, on_delete=models.CASCADE, related_name="timeclock_settings"
    )
    weekly_hours = models.PositiveSmallIntegerField(_("legal weekly hours"), default=35)
    forgotten_after_hours = models.PositiveSmallIntegerField(
        _("an open shift is forgotten after (hours)"), default=12
    )
    tips_pooled = models.BooleanField(
        _("pool the tips and share them by hours worked"), default=False
    )
    clock_out_margin_minutes = models.PositiveSmallIntegerField(
        _("an open shift is forgotten this long after its planned end (minutes)"), default=60
    )
    late_after_minutes = models.PositiveSmallIntegerField(
        _("a clock-in counts as late this long after the planned start (minutes)"), default=5
    )
