"""The self-service kiosk (/kiosk/<token>/): nothing under it leads to a staff screen."""

from django.urls import path

from pos.views import kiosk

app_name = "kiosk"

urlpatterns = [
    path("<str:token>/", kiosk.kiosk_home, name="home"),
    path("<str:token>/add/", kiosk.kiosk_add, name="add"),
    path("<str:token>/remove/<int:index>/", kiosk.kiosk_remove, name="remove"),
    path("<str:token>/reset/", kiosk.kiosk_reset, name="reset"),
    path("<str:token>/order/", kiosk.kiosk_order, name="order"),
    path("<str:token>/done/<uuid:public_id>/", kiosk.kiosk_done, name="done"),
    path("<str:token>/pay-card/", kiosk.kiosk_pay_card, name="pay_card"),
    path("<str:token>/card/<uuid:public_id>/", kiosk.kiosk_card_wait, name="card"),
    path("<str:token>/receipt/<uuid:public_id>/", kiosk.kiosk_receipt, name="receipt"),
]
