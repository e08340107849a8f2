from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from devices.models import CardReader, CardTransaction, CashDrawer, DrawerOpening, Printer, PrintJob


class CashDrawerInline(admin.StackedInline):
    model = CashDrawer
    extra = 0
    fields = ["property", "name", "kick_pin", "is_active"]


@admin.register(Printer)
class PrinterAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "property",
        "connection",
        "paper_width",
        "code_page",
        "is_active",
    ]
    list_filter = ["property", "connection", "paper_width", "is_active"]
    search_fields = ["name", "code", "host", "serial_device"]
    inlines = [CashDrawerInline]
    fieldsets = [
        (None, {"fields": ["property", "code", "name", "is_active"]}),
        (
            _("Connection"),
            {
                "fields": [
                    "connection",
                    "usb_vendor_id",
                    "usb_product_id",
                    "serial_device",
                    "serial_baudrate",
                    "host",
                    "port",
                    "file_path",
                ]
            },
        ),
        (_("Paper"), {"fields": ["paper_width", "code_page", "escpos_profile", "check_paper"]}),
    ]


@admin.register(PrintJob)
class PrintJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "printer", "status", "attempts", "is_duplicate", "created_at"]
    list_filter = ["kind", "status", "property"]
    readonly_fields = [f.name for f in PrintJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DrawerOpening)
class DrawerOpeningAdmin(admin.ModelAdmin):
    list_display = ["created_at", "drawer", "reason", "actor"]
    list_filter = ["reason", "property"]
    readonly_fields = [f.name for f in DrawerOpening._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CardReader)
class CardReaderAdmin(admin.ModelAdmin):
    """A card terminal on the shop's LAN (or a relay's address: docs/card-terminals.md);
    a POS terminal points at it (its "card terminal" field)."""

    list_display = ["name", "property", "host", "port", "till_number", "is_active"]
    list_filter = ["property", "is_active"]


@admin.register(CardTransaction)
class CardTransactionAdmin(admin.ModelAdmin):
    """What the card terminals answered: read-only (masked card numbers only)."""

    list_display = [
        "created_at",
        "reference",
        "attempt",
        "amount",
        "status",
        "authorisation",
        "late",
        "used_for",
    ]
    list_filter = ["property", "status", "late"]
    search_fields = ["reference", "authorisation"]
    readonly_fields = [f.name for f in CardTransaction._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
