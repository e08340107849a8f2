"""Technical events (JET) for sign-ins and sign-outs of staff, at their active property."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from billing.services.journal import JET_LOGIN, JET_LOGOUT, jet_event
from billing.services.tickets import ticket_duplicate_record
from core.signals import receipt_reprinted


def _property_of(request, user):
    prop = getattr(request, "property", None)
    if prop is None and user is not None:
        from core.scoping import memberships_for

        membership = memberships_for(user).first()
        prop = membership.property if membership else None
    return prop


@receiver(user_logged_in)
def jet_login(sender, request, user, **kwargs):
    prop = _property_of(request, user)
    if prop is not None:
        jet_event(
            property=prop,
            code=JET_LOGIN,
            actor=user,
            payload={"ip": getattr(request, "META", {}).get("REMOTE_ADDR", "")},
        )


@receiver(user_logged_out)
def jet_logout(sender, request, user, **kwargs):
    prop = _property_of(request, user)
    if prop is not None:
        jet_event(property=prop, code=JET_LOGOUT, actor=user)


@receiver(receipt_reprinted)
def journal_duplicate(sender, property, ticket_number, copy, actor, printer="", **kwargs):
    """Every duplicate of a receipt is a fiscal event (NF525): journaled with its copy
    number in the reprint's transaction, so a reprint that commits is always recorded."""
    ticket_duplicate_record(
        property=property, ticket_number=ticket_number, copy=copy, actor=actor, printer=printer
    )
