from django.urls import path

from timeclock.views import clock, hours, planning

app_name = "timeclock"

urlpatterns = [
    path("clock/", clock.clock, name="clock"),
    path("manage/time/", hours.week, name="week"),
    path("manage/time/export.csv", hours.week_csv, name="week_csv"),
    path("manage/time/planning/", planning.planning, name="planning"),
    path(
        "manage/time/planning/<int:pk>/delete/",
        planning.planning_delete,
        name="planning_delete",
    ),
    path("manage/time/<int:user_id>/", hours.person_week, name="person_week"),
]
