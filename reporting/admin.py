from django.contrib import admin

from reporting.models import AlertSettings


@admin.register(AlertSettings)
class AlertSettingsAdmin(admin.ModelAdmin):
    """Where a property's alert thresholds (k for baskets, rate factor, cash) are set."""

    list_display = ("property", "basket_k", "rate_factor", "cash_threshold")
