"""PMS domain errors (mapped to HTTP once by core.api.exception_handler)."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, InvalidInput


class RestrictionViolated(InvalidInput):
    code = "restriction"
    default_message = _("These dates are not bookable.")


class InvalidReservationState(InvalidInput):
    code = "invalid_state"
    default_message = _("This reservation cannot be changed in its current state.")


class RoomNotAvailable(Conflict):
    code = "room_not_available"
    default_message = _("This room is already taken for these nights.")


class RoomNotReady(InvalidInput):
    code = "room_not_ready"
    default_message = _("This room is not ready.")


class BalanceDue(InvalidInput):
    """Check-out refused: the folio's balance is not settled (nor transferred, nor left open
    with a manager's approval). `extra["balance"]` holds the amount."""

    code = "balance_due"
    default_message = _("The balance must be settled before check-out.")
