"""Companies in the manager's back office (/manage/companies/, issue 21)."""

from django.urls import path

from crm import manage_views

app_name = "companies"

urlpatterns = [
    path("", manage_views.company_list, name="list"),
    path("new/", manage_views.company_edit, name="new"),
    path("<int:pk>/", manage_views.company_edit, name="edit"),
]
