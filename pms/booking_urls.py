from django.urls import path

from pms.views import booking as booking_views
from pms.views import payment_webhook

app_name = "booking"

urlpatterns = [
    # the card provider's signed webhooks (one endpoint for every property)
    path("payments/webhook/", payment_webhook.receive, name="payment_webhook"),
    path("<slug:slug>/", booking_views.search, name="search"),
    path("<slug:slug>/details/", booking_views.details, name="details"),
    path("<slug:slug>/pay/<uuid:public_id>/", booking_views.payment, name="payment"),
    path("<slug:slug>/done/<uuid:public_id>/", booking_views.done, name="done"),
    path(
        "<slug:slug>/pay/<uuid:public_id>/return/",
        booking_views.payment_return,
        name="payment_return",
    ),
    path("<slug:slug>/stay/<str:token>/", booking_views.guest_page, name="guest_page"),
]
