"""Checks of what staff type that more than one app needs, with one message each."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput

EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit


def email_address(value: str) -> str:
    """`value` stripped, when it is an e-mail address we can send to (an invoice, a
    receipt). Raises InvalidInput naming what was typed."""
    email = (value or "").strip()[:EMAIL_MAX_LENGTH]
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_("“%(email)s” is not a valid e-mail address.") % {"email": email[:100]})
    return email
