"""The tourist tax tariffs in the manager's back office (/manage/tourist-tax/, issue 21)."""

from django.urls import path

from billing import manage_views

app_name = "tourist_tax"

urlpatterns = [
    path("", manage_views.tourist_tax_rates, name="list"),
    path("new/", manage_views.tourist_tax_rate_edit, name="new"),
    path("<int:pk>/", manage_views.tourist_tax_rate_edit, name="edit"),
    path("<int:pk>/delete/", manage_views.tourist_tax_rate_remove, name="delete"),
]
