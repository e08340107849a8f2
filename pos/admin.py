from django.contrib import admin

from pos.models import Order, Outlet, Table, Terminal


class TerminalInline(admin.TabularInline):
    model = Terminal
    extra = 0
    fields = ["name", "is_active", "public_id"]
    readonly_fields = ["public_id"]


class TableInline(admin.TabularInline):
    model = Table
    extra = 0
    fields = ["label", "seats", "pos_x", "pos_y", "is_active"]


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "property", "is_active"]
    list_filter = ["property", "kind", "is_active"]
    search_fields = ["name", "code"]
    inlines = [TerminalInline, TableInline]

    def save_formset(self, request, form, formset, change):
        # a terminal (or a table) belongs to its outlet's property
        for obj in formset.save(commit=False):
            obj.property_id = form.instance.property_id
            obj.save()
        formset.save_m2m()
        for obj in formset.deleted_objects:
            obj.delete()


@admin.register(Terminal)
class TerminalAdmin(admin.ModelAdmin):
    list_display = ["name", "outlet", "property", "is_active", "public_id"]
    list_filter = ["property", "outlet", "is_active"]
    readonly_fields = ["public_id"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Sales are written by the checkout service only: read-only here."""

    list_display = ["pk", "created_at", "property", "outlet", "status", "ticket", "created_by"]
    list_filter = ["property", "status", "outlet"]
    list_select_related = ["outlet", "ticket", "created_by", "property"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
