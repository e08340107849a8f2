"""The manager's catalogue and promotion screens, mounted under /manage/ (config.urls)."""

from django.urls import include, path

from inventory.views import catalogue, promotions, stock

catalogue_patterns = (
    [
        path("", catalogue.catalogue, name="home"),
        path("categories/", catalogue.category_create, name="category_create"),
        path("products/new/", catalogue.product_edit, name="product_new"),
        path("products/<int:pk>/", catalogue.product_edit, name="product"),
        path("products/<int:pk>/sold-out/", catalogue.product_sold_out, name="sold_out"),
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
        path("orders/suggest/", stock.orders_suggest, name="orders_suggest"),
    ],
    "stock",
)

urlpatterns.append(path("stock/", include(stock_patterns)))
