from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("duplicates/", views.duplicate_list, name="duplicates"),
    path("merge/", views.guest_merge, name="merge"),
    path("<uuid:public_id>/preferences/", views.preferences_update, name="preferences"),
    path("<uuid:public_id>/export.json", views.personal_data_export, name="export"),
    path("<uuid:public_id>/erase/", views.erase, name="erase"),
]
