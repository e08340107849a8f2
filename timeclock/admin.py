from django.contrib import admin

from timeclock.models import TimeclockSettings


@admin.register(TimeclockSettings)
class TimeclockSettingsAdmin(admin.ModelAdmin):
    """Where a property's legal week, forgotten clock-out rule (hours, margin past the planned
    end), late-arrival grace and tips pooling are set."""

    list_display = (
        "property",
        "weekly_hours",
        "forgotten_after_hours",
        "clock_out_margin_minutes",
        "late_after_minutes",
        "tips_pooled",
    )
