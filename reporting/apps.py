from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from core.navigation import NavItem, register
        from reporting import signals  # noqa: F401  (the cash alert in the closing transaction)

        register(
            NavItem(
                label=_("Dashboard"), url_name="reporting:dashboard", capability="manage", order=60
            )
        )
        register(
            NavItem(
                label=_("Revenue by VAT rate"),
                url_name="reporting:financial",
                capability="billing.accounting",
                order=71,
            )
        )
        register(
            NavItem(
                label=_("Campaigns"), url_name="campaigns:segments", capability="manage", order=62
            )
        )
        register(
            NavItem(
                label=_("Staff performance"),
                url_name="reporting:staff",
                capability="manage",
                order=63,
            )
        )
        register(
            NavItem(label=_("Alerts"), url_name="reporting:alerts", capability="manage", order=61)
        )
        register(
            NavItem(
                label=_("Alert thresholds"),
                url_name="targets:alerts",
                capability="manage",
                order=64,
            )
        )
        register(
            NavItem(label=_("Budgets"), url_name="targets:budgets", capability="manage", order=65)
        )
