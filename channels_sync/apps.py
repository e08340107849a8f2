from django.apps import AppConfig


class ChannelsSyncConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "channels_sync"

    def ready(self) -> None:
        from channels_sync import signals  # noqa: F401
