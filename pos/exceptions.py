from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, InvalidInput


class NotInHouse(InvalidInput):
    code = "not_in_house"
    default_message = _("This room has no guest in house.")


class AlreadyRefunded(Conflict):
    code = "already_refunded"
    default_message = _("This sale has already been refunded.")
