from django.urls import path

from pos import views

app_name = "pos"

urlpatterns = [
    path("terminals/", views.terminals, name="terminals"),
]
