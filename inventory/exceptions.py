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
