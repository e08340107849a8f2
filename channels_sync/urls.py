from django.urls import path

from channels_sync import views

app_name = "channels_sync"

urlpatterns = [
    path("ical/<str:token>.ics", views.feed_ics, name="feed_ics"),
    path("feeds/", views.feed_list, name="feeds"),
    path("connections/", views.connection_list, name="connections"),
    path("connections/<int:pk>/", views.connection_detail, name="connection_detail"),
    path("connections/<int:pk>/sync/", views.connection_sync_now, name="connection_sync"),
]
