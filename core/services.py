"""Staff services: PIN management and switching."""

import hashlib
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import audit_log
from core.exceptions import InvalidInput, PermissionDenied
from core.models import Membership, Property, StaffProfile
from core.roles import MANAGER_PIN_DIGITS, MANAGER_ROLES, OPERATIONAL_ROLES

User = get_user_model()


class PinThrottled(PermissionDenied):
    """Too many wrong PINs for this person, on this device or at this property: `wait`
    seconds before the next try (the password sign-in still works)."""

    code = "throttled"
    status_code = 429

    def __init__(self, *, wait: int):
        minutes = max(1, -(-wait // 60))
        super().__init__(
            ngettext(
                "Too many wrong PINs. Try again in %(minutes)d minute or sign in with "
                "your password.",
                "Too many wrong PINs. Try again in %(minutes)d minutes or sign in with "
                "your password.",
                minutes,
            )
            % {"minutes": minutes},
            extra={"wait": wait},
        )
        self.wait = wait


def _failures_key(user_id: int) -> str:
    return f"pin-failures:{user_id}"


def _device_key(property_id: int, device: str) -> str:
    # the device id of an older binding holds its label: a digest keeps the key plain
    digest = hashlib.sha256(device.encode()).hexdigest()[:32]
    return f"pin-failures-device:{property_id}:{digest}"


def _property_key(property_id: int) -> str:
    return f"pin-failures-property:{property_id}"


def _counters(*, user_id: int, property_id: int, device: str) -> list[tuple[str, int]]:
    """The failure counters a PIN try is checked against, each with its limit."""
    counters = [(_failures_key(user_id), settings.PIN_MAX_FAILURES)]
    if device:
        counters.append((_device_key(property_id, device), settings.PIN_DEVICE_MAX_FAILURES))
    counters.append((_property_key(property_id), settings.PIN_PROPERTY_MAX_FAILURES))
    return counters


def _wait(key: str, window: int | None = None) -> int:
    """Seconds left in the window of a counter (its start is kept beside it)."""
    window = window or settings.PIN_LOCK_SECONDS
    started = cache.get(f"{key}:since")
    if started is None:
        return window
    return max(1, int(started + window - time.time()))


def _locked_wait(counters: list[tuple[str, int]], window: int | None = None) -> int:
    """The longest wait among the counters over their limit, else 0."""
    values = cache.get_many([key for key, _limit in counters])
    return max(
        (_wait(key, window) for key, limit in counters if values.get(key, 0) >= limit), default=0
    )


def _count_failure(counters: list[tuple[str, int]], window: int | None = None) -> None:
    window = window or settings.PIN_LOCK_SECONDS
    for key, _limit in counters:
        # a fixed window from the first failure: the counter and its start expire together
        if cache.add(key, 0, timeout=window):
            cache.set(f"{key}:since", time.time(), timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def failures_locked_wait(*, key: str, limit: int, window: int) -> int:
    """The PIN limiter for another secret (a guest's surname at a room's QR code): the
    seconds left while `key` has `limit` failures in its `window`, else 0."""
    return _locked_wait([(key, limit)], window)


def failures_count(*, key: str, window: int) -> None:
    """One more failure on `key`, in a fixed `window` from the first (see failures_locked_wait)."""
    _count_failure([(key, 0)], window)


def pin_is_locked(*, user_id: int) -> bool:
    return cache.get(_failures_key(user_id), 0) >= settings.PIN_MAX_FAILURES


def is_manager(user) -> bool:
    """Whether any active role of `user` grants management rights (or they are a superuser):
    their PIN needs MANAGER_PIN_DIGITS digits."""
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, is_active=True, role__in=MANAGER_ROLES).exists()


@transaction.atomic
def staff_pin_set(*, user, pin: str, actor=None) -> StaffProfile:
    """Set a 4–6 digit quick-switch PIN (6 digits for a manager). Raises InvalidInput on
    anything else."""
    if not (pin.isdigit() and 4 <= len(pin) <= 6):
        raise InvalidInput(_("A PIN has 4 to 6 digits."))
    if len(pin) < MANAGER_PIN_DIGITS and is_manager(user):
        raise InvalidInput(
            _("A manager's PIN has %(digits)d digits.") % {"digits": MANAGER_PIN_DIGITS}
        )
    profile, _created = StaffProfile.objects.get_or_create(user=user)
    profile.set_pin(pin)
    profile.save(update_fields=["pin_hash", "updated_at"])
    audit_log(action="core.staff.pin_set", property=None, actor=actor or user, target=user)
    return profile


def staff_pin_verify(
    *,
    property: Property,
    user_id: int,
    pin: str,
    terminal: str = "",
    device: str = "",
    sign_in: bool = False,
) -> User:
    """Check a PIN typed on a shared terminal of `property`.

    A person who does not work here is refused before any counter is read or written (an
    outsider's lock is none of this terminal's business). `sign_in` (the PIN switch) also
    refuses superusers and people without an operational role here: they sign in with the
    password. Wrong PINs are counted per person, per device (`device`, the terminal binding's
    id) and per property, each in a PIN_LOCK_SECONDS window; over any limit every PIN is
    refused until the window ends, so one device cannot try the PINs of everyone in turn. A
    manager's PIN must have MANAGER_PIN_DIGITS digits: a shorter one (set before the rule)
    no longer opens anything until it is reset.
    Raises: PermissionDenied (PinThrottled when over a limit) with a message for the screen.
    """
    membership = (
        Membership.objects.select_related("user", "user__staff_profile")
        .filter(property=property, user_id=user_id, is_active=True, user__is_active=True)
        .first()
    )
    if membership is None:
        raise PermissionDenied(_("This person does not work here."))
    user = membership.user
    if sign_in and (user.is_superuser or membership.role not in OPERATIONAL_ROLES):
        raise PermissionDenied(_("This person signs in with their password, not a PIN."))
    counters = _counters(user_id=user_id, property_id=property.pk, device=device)
    if wait := _locked_wait(counters):
        raise PinThrottled(wait=wait)
    if membership.role in MANAGER_ROLES and len(pin) < MANAGER_PIN_DIGITS:
        raise PermissionDenied(
            _(
                "A manager's PIN now has %(digits)d digits. A shorter PIN no longer works: "
                "sign in with your password and set a new PIN on the staff screen."
            )
            % {"digits": MANAGER_PIN_DIGITS}
        )
    profile = getattr(user, "staff_profile", None)
    if profile is None or not profile.check_pin(pin):
        _count_failure(counters)
        audit_log(
            action="core.staff.pin_failed",
            property=property,
            target=user,
            terminal=terminal,
            data={"failures": cache.get(_failures_key(user_id), 0), "device": device},
        )
        if wait := _locked_wait(counters):
            raise PinThrottled(wait=wait)
        raise PermissionDenied(_("Wrong PIN."))
    cache.delete(_failures_key(user_id))
    audit_log(
        action="core.staff.pin_switch" if sign_in else "core.staff.pin_checked",
        property=property,
        actor=user,
        target=user,
        terminal=terminal,
    )
    return user


@transaction.atomic
def two_factor_enrol(*, user, device, backup_codes: int) -> list[str]:
    """Confirm `user`'s new TOTP device (its code was checked) and give them fresh backup
    codes (single use, replacing any earlier ones). Returns the codes, shown once."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    backup, _created = StaticDevice.objects.get_or_create(
        user=user, name="backup", defaults={"confirmed": True}
    )
    backup.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(backup_codes)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    audit_log(action="core.two_factor.enrolled", property=None, actor=user, target=user)
    return codes
