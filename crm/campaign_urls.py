from django.urls import path

from crm import campaign_views

app_name = "campaign_links"

urlpatterns = [
    path("u/<str:token>/", campaign_views.unsubscribe, name="unsubscribe"),
    path("o/<str:token>.gif", campaign_views.opened, name="open"),
    path("c/<str:token>/", campaign_views.clicked, name="click"),
    path("bounces/", campaign_views.bounces, name="bounces"),
]
