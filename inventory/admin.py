from django.contrib import admin

from inventory.models import (
    CapacityPool,
    Category,
    Modifier,
    ModifierGroup,
    Price,
    Product,
    Promotion,
    RatePlan,
    Season,
    SeasonPeriod,
    StopSell,
    Variant,
)


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "name_fr",
        "code",
        "property",
        "category",
        "price",
        "vat_rate",
        "revenue_category",
        "capacity_pool",
        "is_active",
    ]
    list_filter = ["property", "category", "revenue_category", "vat_rate", "is_active"]
    search_fields = ["name_fr", "name_en", "code", "ean13"]
    inlines = [VariantInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name_fr", "name_en", "property", "sort_order"]
    list_filter = ["property"]


class ModifierInline(admin.TabularInline):
    model = Modifier
    extra = 0


@admin.register(ModifierGroup)
class ModifierGroupAdmin(admin.ModelAdmin):
    list_display = ["name_fr", "property", "min_choices", "max_choices"]
    filter_horizontal = ["products"]
    inlines = [ModifierInline]


@admin.register(CapacityPool)
class CapacityPoolAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "property",
        "kind",
        "default_capacity",
        "hold_back_onsite",
        "online_close_at_sold",
    ]
    list_filter = ["property", "kind"]


@admin.register(StopSell)
class StopSellAdmin(admin.ModelAdmin):
    list_display = ["pool", "channel", "start", "end", "reason"]
    list_filter = ["channel"]


class SeasonPeriodInline(admin.TabularInline):
    model = SeasonPeriod
    extra = 0


@admin.register(Season)
class SeasonAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "property"]
    inlines = [SeasonPeriodInline]


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(RatePlan)
class RatePlanAdmin(admin.ModelAdmin):
    list_display = ["name_fr", "code", "property", "priority", "is_public", "is_active"]
    list_filter = ["property", "is_public", "is_active"]
    inlines = [PriceInline]


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = [
        "name_fr",
        "code",
        "kind",
        "percent_off",
        "amount_off",
        "stock_cap",
        "stock_used",
        "is_active",
    ]
    list_filter = ["property", "kind", "is_active"]
    filter_horizontal = ["products", "seasons"]
    readonly_fields = ["stock_used"]
