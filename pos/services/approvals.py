"""A manager's approval on a POS screen (void, discount, refund): the signed-in person when
their role may approve (pos.approve), otherwise a manager of the property chosen on the
screen, after their PIN."""

from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.roles import role_has
from core.scoping import approvers_for
from core.services import staff_pin_verify


def approver_verify(
    *,
    property,
    user,
    role: str,
    approver_id: int | None,
    pin: str,
    terminal: str = "",
    device: str = "",
):
    """The user who approves: `user` when `role` may approve, else the approver chosen
    (`approver_id`) once their `pin` is checked (staff_pin_verify: wrong PIN and the
    throttles per person, per `device` and per property).
    Raises: InvalidInput when no approver of the property is chosen; what staff_pin_verify
    raises."""
    if role_has(role, "pos.approve"):
        return user
    if approver_id is None or not approvers_for(property).filter(user_id=approver_id).exists():
        raise InvalidInput(_("Choose the manager who approves."))
    return staff_pin_verify(
        property=property, user_id=approver_id, pin=pin, terminal=terminal, device=device
    )
