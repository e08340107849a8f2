from django.contrib import admin

from crm.models import (
    Company,
    GiftCard,
    GiftCardMovement,
    Guest,
    LoyaltyEarnRule,
    LoyaltyProgram,
)


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "siren", "vat_number", "email"]
    list_filter = ["organization"]
    search_fields = ["name", "siren", "siret", "vat_number"]
    filter_horizontal = ["rate_plans"]


@admin.register(Guest)
class GuestAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "email", "phone", "company", "organization"]
    list_filter = ["organization", "language", "marketing_opt_in"]
    search_fields = ["last_name", "first_name", "email", "phone"]
    list_select_related = ["company", "organization"]
    raw_id_fields = ["company"]


class LoyaltyEarnRuleInline(admin.TabularInline):
    model = LoyaltyEarnRule
    extra = 1


@admin.register(LoyaltyProgram)
class LoyaltyProgramAdmin(admin.ModelAdmin):
    list_display = ["organization", "point_value", "is_active"]
    inlines = [LoyaltyEarnRuleInline]


class GiftCardMovementInline(admin.TabularInline):
    model = GiftCardMovement
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "amount", "balance_after", "key", "reference", "actor", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GiftCard)
class GiftCardAdmin(admin.ModelAdmin):
    """Read-only: a card's balance moves only through the services (sale, redemption)."""

    list_display = ["masked_code", "property", "kind", "balance", "status", "expires_on"]
    list_filter = ["property", "kind", "status"]
    readonly_fields = [f.name for f in GiftCard._meta.fields if f.name != "code"]
    exclude = ["code"]
    inlines = [GiftCardMovementInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
