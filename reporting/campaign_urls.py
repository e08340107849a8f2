from django.urls import path

from reporting import campaign_views

app_name = "campaigns"

urlpatterns = [
    path("", campaign_views.segment_list, name="segments"),
    path("segments/new/", campaign_views.segment_create, name="segment_new"),
    path("segments/count/", campaign_views.segment_count_view, name="segment_count"),
    path("campaigns/new/", campaign_views.campaign_create, name="campaign_new"),
    path("campaigns/<int:pk>/", campaign_views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/send/", campaign_views.campaign_send, name="campaign_send"),
]
