"""Billing in the back office. Fiscal rows (tickets, their lines and VAT, payments, folio
lines, number sequences) are append-only: viewable, never added, changed or deleted here."""

from django.contrib import admin

from billing.models import (
    AccountingAccount,
    CashCount,
    Folio,
    FolioLine,
    Invoice,
    InvoiceLine,
    InvoiceVat,
    NumberSequence,
    Payment,
    Ticket,
    TicketLine,
    TicketVat,
    TouristTaxNight,
    TouristTaxRate,
)


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FolioLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = FolioLine
    extra = 0
    fk_name = "folio"
    fields = ["business_date", "description", "quantity", "total", "vat_rate", "vat_amount"]
    readonly_fields = fields


class FolioPaymentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["business_date", "method", "amount", "terminal_reference"]
    readonly_fields = fields


@admin.register(Folio)
class FolioAdmin(admin.ModelAdmin):
    list_display = ["holder_name", "property", "status", "created_at"]
    list_filter = ["property", "status"]
    search_fields = ["holder_name", "public_id"]
    readonly_fields = ["public_id", "property", "guest", "company", "currency", "status"]
    inlines = [FolioLineInline, FolioPaymentInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FolioLine)
class FolioLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["folio", "business_date", "description", "total", "vat_rate", "source"]
    list_filter = ["folio__property", "vat_rate", "revenue_category"]
    list_select_related = ["folio"]


class TicketLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketLine
    extra = 0
    fields = ["description", "quantity", "unit_price", "total", "vat_rate", "vat_amount"]
    readonly_fields = fields


class TicketVatInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketVat
    extra = 0
    fields = ["rate", "net", "vat", "gross"]
    readonly_fields = fields


class TicketPaymentInline(FolioPaymentInline):
    fk_name = "ticket"


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "property", "business_date", "outlet", "status", "total"]
    list_filter = ["property", "status", "business_date"]
    search_fields = ["number"]
    inlines = [TicketLineInline, TicketVatInline, TicketPaymentInline]


@admin.register(TicketLine)
class TicketLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "description", "quantity", "total", "vat_rate"]
    list_select_related = ["ticket"]


@admin.register(TicketVat)
class TicketVatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "rate", "net", "vat", "gross"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "property", "method", "amount", "ticket", "folio"]
    list_filter = ["property", "method", "business_date"]
    list_select_related = ["property", "ticket", "folio"]


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["property", "series", "next_value"]


class InvoiceLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["description", "quantity", "unit_price", "total", "vat_rate", "vat_amount"]
    readonly_fields = fields


class InvoiceVatInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InvoiceVat
    extra = 0
    fields = ["rate", "net", "vat", "gross"]
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "kind", "property", "business_date", "total", "balance"]
    list_filter = ["property", "kind"]
    search_fields = ["number", "buyer__name"]
    inlines = [InvoiceLineInline, InvoiceVatInline]


@admin.register(TouristTaxRate)
class TouristTaxRateAdmin(admin.ModelAdmin):
    """Editable: the commune's tariffs change every 1 January."""

    list_display = ["property", "classification", "valid_from", "amount", "departmental_pct"]
    list_filter = ["property", "classification"]


@admin.register(TouristTaxNight)
class TouristTaxNightAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["property", "night", "taxable_persons", "exempt_persons", "rate", "amount"]
    list_filter = ["property"]
    date_hierarchy = "night"


@admin.register(AccountingAccount)
class AccountingAccountAdmin(admin.ModelAdmin):
    """Overrides of the French default chart mapping (billing.services.accounting)."""

    list_display = ["property", "key", "number", "label"]
    list_filter = ["property"]
    search_fields = ["key", "number", "label"]


@admin.register(CashCount)
class CashCountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["property", "business_date", "method", "counted", "counted_by", "created_at"]
    list_filter = ["property", "method"]
