"""The chart of accounts mapping in the back office (/manage/accounts/, issue 21)."""

from django.urls import path

from billing import manage_views

app_name = "chart"

urlpatterns = [path("", manage_views.chart_of_accounts, name="edit")]
