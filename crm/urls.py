from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("duplicates/", views.duplicate_list, name="duplicates"),
    path("merge/", views.guest_merge, name="merge"),
]
