from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsSyncConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "channels_sync"

    def ready(self) -> None:
        from channels_sync import signals  # noqa: F401
        from core.navigation import NavItem, register

        register(NavItem(_("Channel calendars"), "channels_sync:connections", "manage", order=600))
        register(NavItem(_("Published calendars"), "channels_sync:feeds", "manage", order=610))
