"""The Django admin behind the password and, for every administrator, a second factor
(django-otp: a TOTP app or a backup code, core.views_two_factor). A PIN session never
reaches it (core.terminal_sessions)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class AubergeAdminSite(admin.AdminSite):
    def has_permission(self, request) -> bool:
        # imported here: this module is loaded with INSTALLED_APPS, before the models
        from core.terminal_sessions import is_terminal_session

        user = request.user
        is_verified = getattr(user, "is_verified", None)
        return (
            super().has_permission(request)
            and not is_terminal_session(request)
            and bool(is_verified and is_verified())
        )


class AubergeAdminConfig(AdminConfig):
    default_site = "core.admin_site.AubergeAdminSite"
