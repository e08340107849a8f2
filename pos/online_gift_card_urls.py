from django.urls import path

from pos.views import online_gift_cards

app_name = "gift_cards_online"

urlpatterns = [
    path("book/<slug:slug>/gift-cards/", online_gift_cards.offers, name="offers"),
    path(
        "book/<slug:slug>/gift-cards/<uuid:public_id>/",
        online_gift_cards.payment_return,
        name="return",
    ),
    path(
        "book/<slug:slug>/gift-cards/<uuid:public_id>/pay/",
        online_gift_cards.retry,
        name="retry",
    ),
    path(
        "book/<slug:slug>/gift-cards/<uuid:public_id>/qr.png",
        online_gift_cards.qr,
        name="qr",
    ),
    path("manage/gift-cards-online/", online_gift_cards.manage, name="manage"),
]
