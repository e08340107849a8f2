from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from core.navigation import NavItem, register
        from webhooks import signals  # noqa: F401  (the cached subscriptions)

        register(NavItem(_("Webhooks"), "webhooks:list", "manage", order=620))
