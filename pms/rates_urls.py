"""The rates calendar and capacity rules, under /manage/ (the back office, PLT-6)."""

from django.urls import path

from pms.views import rates

app_name = "rates"

urlpatterns = [
    path("rates/", rates.calendar, name="calendar"),
    path("rates/bulk/", rates.bulk_edit, name="bulk"),
    path("rates/cell/<int:product_id>/<str:day>/", rates.cell, name="cell"),
    path("rates/seasons/", rates.seasons, name="seasons"),
    path(
        "rates/seasons/periods/<int:pk>/delete/",
        rates.season_period_remove,
        name="season_period_delete",
    ),
    path("rates/plans/", rates.rate_plans, name="plans"),
    path("rates/plans/new/", rates.rate_plan_edit, name="plan_new"),
    path("rates/plans/<int:pk>/", rates.rate_plan_edit, name="plan_edit"),
    path("rates/capacity/", rates.pools, name="pools"),
    path("rates/capacity/<int:pk>/", rates.pool_edit, name="pool_edit"),
]
