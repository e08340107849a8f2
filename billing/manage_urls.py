"""The payment titles' settings in the manager's back office (/manage/payment-titles/)."""

from django.urls import path

from billing import manage_views

app_name = "title_settings"

urlpatterns = [path("payment-titles/", manage_views.payment_titles, name="edit")]
