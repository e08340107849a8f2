"""pos's part of a guest's GDPR requests (receivers of crm.signals): a gift card bought in the
booking engine keeps the buyer's and the recipient's names and e-mails on its purchase row
(not a fiscal document: the ticket keeps what the law requires). An erasure blanks them on
the purchases the guest made (by its sale's guest, or its buyer's e-mail); the export lists
them."""

from django.db.models import Q
from django.dispatch import receiver

from crm.signals import guest_erasing, guest_exporting
from pos.models import OnlineGiftCardPurchase

ERASED = "—"


def _purchases(guest):
    match = Q(order__guest=guest)
    if guest.email:
        match |= Q(buyer_email__iexact=guest.email)
    return OnlineGiftCardPurchase.objects.filter(match)


@receiver(guest_erasing)
def blank_online_gift_card_buyers(sender, guest, **kwargs):
    _purchases(guest).update(
        buyer_first_name="",
        buyer_last_name=ERASED,
        buyer_email="",
        recipient_name="",
        recipient_email="",
        decline_message="",
    )


@receiver(guest_exporting)
def online_gift_card_purchases(sender, guest, **kwargs):
    return {
        "online_gift_cards": [
            {
                "bought": str(p.created_at),
                "amount": str(p.amount),
                "status": p.status,
                "buyer_email": p.buyer_email,
                "recipient_name": p.recipient_name,
                "recipient_email": p.recipient_email,
            }
            for p in _purchases(guest).order_by("pk")
        ]
    }
