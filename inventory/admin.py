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
    RecipeLine,
    Season,
    SeasonPeriod,
    StockItem,
    StockLevel,
    StockLocation,
    StockSettings,
    StopSell,
    Supplier,
    SupplierItem,
    Variant,
)


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0


class RecipeLineInline(admin.TabularInline):
    """A product's bill of materials (units converted to the item's: 5 cl → 50 ml)."""

    model = RecipeLine
    extra = 0
    autocomplete_fields = ["item"]


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
    inlines = [VariantInline, RecipeLineInline]


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


# Stock configuration (INV-5): items, locations, reorder points, suppliers and their packs.
# Movements are written only by inventory.services.stock (the ledger is append-only).
@admin.register(StockItem)
class StockItemAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "property", "base_unit", "average_cost", "is_active"]
    list_filter = ["property", "base_unit", "is_active"]
    search_fields = ["name", "code"]
    readonly_fields = ["average_cost"]


@admin.register(StockLocation)
class StockLocationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "property", "kind", "is_active"]
    list_filter = ["property", "kind"]


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    """Reorder and par levels only: the quantity is the ledger's."""

    list_display = ["item", "location", "quantity", "reorder_point", "par_level"]
    list_filter = ["property", "location"]
    fields = ["property", "item", "location", "quantity", "reorder_point", "par_level"]
    readonly_fields = ["quantity"]


@admin.register(StockSettings)
class StockSettingsAdmin(admin.ModelAdmin):
    list_display = ["property", "allow_negative"]


class SupplierItemInline(admin.TabularInline):
    model = SupplierItem
    extra = 0
    autocomplete_fields = ["item"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "property", "email", "lead_time_days", "is_active"]
    list_filter = ["property", "is_active"]
    search_fields = ["name"]
    inlines = [SupplierItemInline]
