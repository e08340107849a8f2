"""The manager's catalogue and promotion screens, mounted under /manage/ (config.urls)."""

from django.urls import include, path

from inventory.views import catalogue, promotions, purchasing, stock, stock_setup

catalogue_patterns = (
    [
        path("", catalogue.catalogue, name="home"),
        path("categories/", catalogue.category_create, name="category_create"),
        path("products/new/", catalogue.product_edit, name="product_new"),
        path("products/<int:pk>/", catalogue.product_edit, name="product"),
        path("products/<int:pk>/sold-out/", catalogue.product_sold_out, name="sold_out"),
        path("products/<int:pk>/photo/", catalogue.product_photo, name="product_photo"),
        path("products/<int:pk>/variants/", catalogue.variant_create, name="variant_create"),
        path("groups/", catalogue.groups, name="groups"),
        path("groups/<int:pk>/", catalogue.group_update, name="group_update"),
        path("groups/<int:pk>/options/", catalogue.modifier_create, name="modifier_create"),
    ],
    "catalogue",
)

promotion_patterns = (
    [
        path("", promotions.promotion_list, name="list"),
        path("<int:pk>/", promotions.promotion_list, name="edit"),
        path("<int:pk>/action/", promotions.promotion_action, name="action"),
    ],
    "promotions",
)

urlpatterns = [
    path("catalogue/", include(catalogue_patterns)),
    path("promotions/", include(promotion_patterns)),
]

stock_patterns = (
    [
        path("", stock.stock_levels, name="levels"),
        path("move/", stock.stock_move, name="move"),
        path("counts/", stock.count_new, name="count_new"),
        path("counts/<int:pk>/", stock.count_sheet, name="count"),
        path("counts/<int:pk>/approve/", stock.count_approve_view, name="count_approve"),
        path("orders/<int:pk>/", stock.purchase_order, name="order"),
        path("hotel-counts/", stock.count_batches, name="batches"),
        path("hotel-counts/<int:pk>/", stock.count_batch, name="batch"),
        path("hotel-counts/<int:pk>/post/", stock.count_batch_post_view, name="batch_post"),
        path("orders/suggest/", stock.orders_suggest, name="orders_suggest"),
        # master data (inventory.views.stock_setup)
        path("locations/", stock_setup.locations, name="locations"),
        path("locations/<int:pk>/", stock_setup.locations, name="location"),
        path("settings/", stock_setup.settings_below_zero, name="settings"),
        path("items/", stock_setup.items, name="items"),
        path("items/<int:pk>/", stock_setup.item_edit, name="item"),
        path("items/<int:pk>/levels/", stock_setup.item_levels, name="item_levels"),
        path("suppliers/", stock_setup.suppliers, name="suppliers"),
        path("suppliers/<int:pk>/", stock_setup.suppliers, name="supplier"),
        path("suppliers/<int:pk>/packs/", stock_setup.supplier_item, name="supplier_item_new"),
        path(
            "suppliers/<int:pk>/packs/<int:offer_pk>/",
            stock_setup.supplier_item,
            name="supplier_item",
        ),
        path("recipes/", stock_setup.recipes, name="recipes"),
        path("recipes/<int:pk>/", stock_setup.recipe, name="recipe"),
        # purchasing (inventory.views.purchasing)
        path("orders/", purchasing.orders, name="orders"),
        path("deliveries/", purchasing.deliveries, name="deliveries"),
        path("invoices/", purchasing.invoices, name="invoices"),
    ],
    "stock",
)

urlpatterns.append(path("stock/", include(stock_patterns)))
