"""A sold gift card's e-mail to its buyer (and recipient): the code in groups of four, its
value, last day, and its QR code (the same code a till scans) attached as a PNG. Asked in the
sale's transaction (an outbox row), sent after commit by the worker; the outbox claim sends it
once whatever the retries."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import translation
from django.utils.translation import gettext as _

from core.formatting import day as format_day
from core.formatting import money
from core.outbox import outbox_enqueue
from crm.models import GiftCard, Guest
from crm.selectors import formatted_code
from crm.services.campaigns import qr_png


def gift_card_email_request(
    *,
    cards: list[GiftCard],
    to: list[str],
    language: str,
    buyer: Guest | None,
    actor=None,
    recipient_name: str = "",
) -> None:
    """In the caller's (the sale's) transaction: the e-mail of `cards` to the addresses `to`,
    sent after commit (crm.tasks.gift_card_email_task)."""
    if not cards or not to:
        return
    outbox_enqueue(
        task="crm.tasks.gift_card_email_task",
        kwargs={
            "card_ids": [c.pk for c in cards],
            "to": list(to),
            "language": language if language in ("fr", "en") else "fr",
            "buyer_name": f"{buyer.first_name} {buyer.last_name}".strip() if buyer else "",
            **({"recipient_name": recipient_name} if recipient_name else {}),
        },
        property=cards[0].property,
    )


def gift_card_email_text(
    *, card: GiftCard, language: str, buyer_name: str = "", recipient_name: str = ""
) -> tuple[str, str]:
    """The subject and text of a card's e-mail in `language`."""
    prop = card.property
    with translation.override(language):
        subject = _("Your gift card for %(property)s") % {"property": prop.name}
        lines = [
            _("Here is a gift card for %(property)s, from %(buyer)s.")
            % {"property": prop.name, "buyer": buyer_name}
            if buyer_name
            else _("Here is a gift card for %(property)s.") % {"property": prop.name},
            *([_("For %(name)s.") % {"name": recipient_name}] if recipient_name else []),
            "",
            _("Code: %(code)s") % {"code": formatted_code(card.code)},
            _("Value: %(amount)s") % {"amount": money(card.initial_amount, language=language)},
            _("Valid until %(day)s.") % {"day": format_day(card.expires_on, language=language)},
            "",
            _("Show this code, or the QR code attached, when you pay at %(property)s.")
            % {"property": prop.name},
        ]
    return subject, "\n".join(lines) + "\n"


def gift_card_email_send(
    *,
    card_ids: list[int],
    to: list[str],
    language: str = "fr",
    buyer_name: str = "",
    recipient_name: str = "",
) -> int:
    """The task's body (outside any transaction): one message per card, to every address,
    its QR attached. Returns how many messages left."""
    sent = 0
    for card in GiftCard.objects.select_related("property").filter(pk__in=card_ids).order_by("pk"):
        subject, body = gift_card_email_text(
            card=card, language=language, buyer_name=buyer_name, recipient_name=recipient_name
        )
        message = EmailMultiAlternatives(
            subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=list(to)
        )
        message.attach(f"gift-card-{card.code[-4:]}.png", qr_png(card.code), "image/png")
        message.send()
        sent += 1
    return sent
