"""The admin shows iCal connections to superusers only, for one switch: whether a
connection may download from a private or loopback address (off by default, audited).
Everything else about a connection is set on the staff screen (/channels/connections/)."""

from django.contrib import admin

from channels_sync.models import ChannelConnection
from channels_sync.services.imports import connection_private_addresses_set


@admin.register(ChannelConnection)
class ChannelConnectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "property", "kind", "allow_private_addresses", "is_active"]
    list_filter = ["property", "allow_private_addresses"]
    fields = ["property", "room", "kind", "url", "is_active", "allow_private_addresses"]
    readonly_fields = ["property", "room", "kind", "url", "is_active"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        # the switch goes through the service: the superuser check and the audit entry
        if "allow_private_addresses" in form.changed_data:
            connection_private_addresses_set(
                connection=obj, allowed=obj.allow_private_addresses, actor=request.user
            )
