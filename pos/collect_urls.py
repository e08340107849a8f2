"""An outlet's public click-and-collect page (/collect/<token>/)."""

from django.urls import path

from pos.views import collect

app_name = "collect"

urlpatterns = [path("<str:token>/", collect.collect_page, name="page")]
