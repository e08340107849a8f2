from django.urls import path

from pms.views import booking as booking_views

app_name = "booking"

urlpatterns = [
    path("<slug:slug>/", booking_views.search, name="search"),
    path("<slug:slug>/details/", booking_views.details, name="details"),
    path("<slug:slug>/pay/<uuid:public_id>/", booking_views.payment, name="payment"),
    path("<slug:slug>/done/<uuid:public_id>/", booking_views.done, name="done"),
]
