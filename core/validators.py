"""Checks of what staff type that more than one app needs, with one message each."""

import re

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


# A web origin as a CSP source: scheme, host (a leading "*." for every subdomain), optional
# port; no path, quote, semicolon or space (any of which could change the policy itself).
_ORIGIN = re.compile(
    r"https?://(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
    r"(:[0-9]{1,5})?"
)
MAX_EMBED_ORIGINS = 20


def embed_origins(value: str) -> list[str]:
    """The web origins typed one per line (or separated by spaces or commas), lower-cased,
    without a trailing slash, each checked: they go into the booking engine's
    Content-Security-Policy header as they are. Raises ValidationError naming the first that
    is not an origin such as https://www.example.com."""
    origins: list[str] = []
    for raw in re.split(r"[\s,]+", value or ""):
        origin = raw.strip().lower().rstrip("/")
        if not origin:
            continue
        if not _ORIGIN.fullmatch(origin):
            raise ValidationError(
                _("“%(origin)s” is not a website address such as https://www.example.com.")
                % {"origin": raw[:100]},
                code="invalid_origin",
            )
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_EMBED_ORIGINS:
        raise ValidationError(
            _("At most %(n)s websites may embed the booking engine.") % {"n": MAX_EMBED_ORIGINS},
            code="too_many_origins",
        )
    return origins


def validate_embed_origins(value: str) -> None:
    """Model-field validator of Property.booking_frame_ancestors (see embed_origins)."""
    embed_origins(value)
