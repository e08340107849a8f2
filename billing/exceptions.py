from django.utils.translation import gettext_lazy as _

from core.exceptions import InvalidInput


class PaymentInvalid(InvalidInput):
    """A tender that cannot be accepted (422): wrong sum, missing reference, card number…"""

    code = "payment_invalid"
    default_message = _("This payment cannot be recorded.")
