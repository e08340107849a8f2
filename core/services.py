"""Staff services: PIN management and switching."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput, PermissionDenied
from core.models import Membership, Property, StaffProfile

User = get_user_model()


def _failures_key(user_id: int) -> str:
    return f"pin-failures:{user_id}"


def pin_is_locked(*, user_id: int) -> bool:
    return cache.get(_failures_key(user_id), 0) >= settings.PIN_MAX_FAILURES


@transaction.atomic
def staff_pin_set(*, user, pin: str, actor=None) -> StaffProfile:
    """Set a 4–6 digit quick-switch PIN. Raises InvalidInput on anything else."""
    if not (pin.isdigit() and 4 <= len(pin) <= 6):
        raise InvalidInput(_("A PIN has 4 to 6 digits."))
    profile, _created = StaffProfile.objects.get_or_create(user=user)
    profile.set_pin(pin)
    profile.save(update_fields=["pin_hash", "updated_at"])
    audit_log(action="core.staff.pin_set", property=None, actor=actor or user, target=user)
    return profile


def staff_pin_verify(*, property: Property, user_id: int, pin: str, terminal: str = "") -> User:
    """Check a PIN typed on a shared terminal of `property`.

    Wrong PINs are counted per person in the cache; after PIN_MAX_FAILURES the PIN is refused
    for PIN_LOCK_SECONDS (the password sign-in still works), so a PIN cannot be guessed.
    Raises: PermissionDenied with a message for the screen.
    """
    membership = (
        Membership.objects.select_related("user", "user__staff_profile")
        .filter(property=property, user_id=user_id, is_active=True, user__is_active=True)
        .first()
    )
    if membership is None:
        raise PermissionDenied(_("This person does not work here."))
    key = _failures_key(user_id)
    if cache.get(key, 0) >= settings.PIN_MAX_FAILURES:
        raise PermissionDenied(
            _("Too many wrong PINs. Wait a few minutes or sign in with your password.")
        )
    profile = getattr(membership.user, "staff_profile", None)
    if profile is None or not profile.check_pin(pin):
        cache.add(key, 0, timeout=settings.PIN_LOCK_SECONDS)
        failures = cache.incr(key)
        audit_log(
            action="core.staff.pin_failed",
            property=property,
            target=membership.user,
            terminal=terminal,
            data={"failures": failures},
        )
        if failures >= settings.PIN_MAX_FAILURES:
            raise PermissionDenied(
                _("Too many wrong PINs. Wait a few minutes or sign in with your password.")
            )
        raise PermissionDenied(_("Wrong PIN."))
    cache.delete(key)
    audit_log(
        action="core.staff.pin_switch",
        property=property,
        actor=membership.user,
        target=membership.user,
        terminal=terminal,
    )
    return membership.user
