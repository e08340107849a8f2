from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, InvalidInput


class SoldOut(Conflict):
    code = "sold_out"
    default_message = _("Sold out.")


class ClosedForSale(SoldOut):
    code = "closed_for_sale"
    default_message = _("Not on sale through this channel for these dates.")


class InvalidCapacityRequest(InvalidInput):
    code = "invalid_capacity_request"


class OfferExhausted(Conflict):
    code = "offer_exhausted"
    default_message = _("This offer is no longer available.")


class ProductSoldOut(SoldOut):
    """86'd: the dish is off for the rest of the service (a kind of sold out)."""

    code = "product_sold_out"
    default_message = _("This dish is sold out for the rest of the service.")


class ChoiceRequired(InvalidInput):
    """A required modifier group (a steak's cooking) has too few choices on the line."""

    code = "choice_required"
    default_message = _("Choose the required options first.")


class OutOfStock(SoldOut):
    """A sale would take an ingredient below zero and the property refuses that."""

    code = "out_of_stock"
    default_message = _("Not enough stock.")
