from django.urls import path

from timeclock.views import clock, hours, planning, report, settings

app_name = "timeclock"

urlpatterns = [
    path("clock/", clock.clock, name="clock"),
    path("manage/time/", hours.week, name="week"),
    path("manage/time/export.csv", hours.week_csv, name="week_csv"),
    path("manage/time/planning/", planning.planning, name="planning"),
    path("manage/time/planning/copy/", planning.planning_copy, name="planning_copy"),
    path("manage/time/planning/<int:pk>/", planning.planning_edit, name="planning_edit"),
    path("manage/time/close/<int:pk>/", hours.shift_close_view, name="shift_close"),
    path("manage/time/report/", report.report, name="report"),
    path("manage/time/settings/", settings.timeclock_settings, name="settings"),
    path("manage/time/report.<str:kind>", report.report_export, name="report_export"),
    path(
        "manage/time/planning/<int:pk>/delete/",
        planning.planning_delete,
        name="planning_delete",
    ),
    path("manage/time/<int:user_id>/", hours.person_week, name="person_week"),
]
