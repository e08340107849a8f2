from django.contrib import admin

from reporting.models import AlertSettings, Budget


@admin.register(AlertSettings)
class AlertSettingsAdmin(admin.ModelAdmin):
    """Where a property's alert thresholds (k for baskets, rate factor, cash) are set."""

    list_display = ("property", "basket_k", "rate_factor", "cash_threshold")


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    """A property's monthly targets, compared on the managers' dashboard."""

    list_display = ("property", "month", "room_revenue", "total_revenue", "occupancy")
    list_filter = ("property",)
