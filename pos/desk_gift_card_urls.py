from django.urls import path

from pos.views import desk_gift_cards

app_name = "frontdesk_gift_cards"

urlpatterns = [
    path("", desk_gift_cards.sell, name="sell"),
    path("sold/<int:order_id>/", desk_gift_cards.sold, name="sold"),
    path("<int:card_id>/qr.png", desk_gift_cards.qr, name="qr"),
]
