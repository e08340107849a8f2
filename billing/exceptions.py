from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, InvalidInput


class PaymentInvalid(InvalidInput):
    """A tender that cannot be accepted (422): wrong sum, missing reference, card number…"""

    code = "payment_invalid"
    default_message = _("This payment cannot be recorded.")


class DayClosed(Conflict):
    """A document dated on a business day whose closure already counted its documents (409):
    the day was closed while the sale was being recorded; a retry takes the next day."""

    code = "day_closed"
    default_message = _("This business day was just closed: please try again.")
