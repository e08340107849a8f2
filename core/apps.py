from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from core import api_auth, api_tokens, checks  # noqa: F401  (cache invalidation, checks)
        from core.terminal_sessions import clear_terminal_session

        # a sign-in by password is a full session (the PIN switch marks its own afterwards)
        user_logged_in.connect(clear_terminal_session, dispatch_uid="core.terminal_session")
        from core.navigation import NavItem, register

        register(NavItem(_("Staff"), "core:staff_list", "manage.staff", order=800))
        register(NavItem(_("History"), "manage:history", "manage", order=810))
        register(NavItem(_("Property settings"), "manage:property", "manage", order=805))
        register(NavItem(_("Administration"), "admin:index", "admin", order=900))
        register(NavItem(_("API"), "api-docs", "manage", order=910))
        register(NavItem(_("API tokens"), "core:api_tokens", "manage", order=915))
