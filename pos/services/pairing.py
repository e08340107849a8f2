"""Pairing a new tablet to a terminal by a short code (issue 21): the manager's outlets
screen shows a 6-digit code for a terminal; whoever is signed in on the new tablet types it
and that browser is bound to the terminal (the signed cookie of core.terminals, set by the
view). A code lasts PAIRING_CODE_MINUTES, is used once, and a wrong code is counted (the
view rate-limits the tries), so a code cannot be guessed in its lifetime.

The other way round (DevicePairing): the new tablet shows a code and its QR; the manager
types or scans it on the outlets screen and picks the terminal; the tablet collects the
binding at its next poll. Same lifetime, bound once, collected once."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput
from core.models import Property
from pos.models import DevicePairing, Terminal, TerminalPairingCode

PAIRING_CODE_MINUTES = 10
CODE_DIGITS = 6


def pairing_code_issue(*, terminal: Terminal, actor) -> TerminalPairingCode:
    """A new code for `terminal`, unique among the property's live codes; the terminal's
    earlier live codes stop working (one code on the screen at a time). Audited."""
    now = timezone.now()
    with transaction.atomic():
        TerminalPairingCode.objects.filter(
            terminal=terminal, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        live = set(
            TerminalPairingCode.objects.filter(
                property_id=terminal.property_id, used_at__isnull=True, expires_at__gt=now
            ).values_list("code", flat=True)
        )
        code = _fresh_code(live)
        issued = TerminalPairingCode.objects.create(
            property_id=terminal.property_id,
            terminal=terminal,
            code=code,
            created_by=actor,
            created_at=now,
            expires_at=now + timedelta(minutes=PAIRING_CODE_MINUTES),
        )
        audit_log(
            action="pos.terminal.pairing_code",
            property=terminal.property,
            actor=actor,
            target=terminal,
            data={"expires_at": issued.expires_at.isoformat()},
        )
    return issued


def _refused() -> InvalidInput:
    return InvalidInput(_("This code is wrong or has expired: ask the manager for a new one."))


def _fresh_code(live: set[str]) -> str:
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if code not in live:
            return code


def pairing_code_redeem(*, property: Property, code: str, actor) -> Terminal:
    """The terminal a live code of `property` names; the code is used up (locked, so two
    tablets typing it at once bind one). Audited.
    Raises: InvalidInput (the same message for a wrong, used or expired code, or one of
    another property, or of a terminal since deactivated)."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())[:CODE_DIGITS]
    refused = _refused()
    if len(code) != CODE_DIGITS:
        raise refused
    now = timezone.now()
    with transaction.atomic():
        found = (
            TerminalPairingCode.objects.select_for_update()
            .filter(property=property, code=code, used_at__isnull=True, expires_at__gt=now)
            .select_related("terminal__outlet")
            .first()
        )
        if found is None or not found.terminal.is_active:
            raise refused
        found.used_at = now
        found.used_by = actor
        found.save(update_fields=["used_at", "used_by"])
        audit_log(
            action="pos.terminal.bound",
            property=property,
            actor=actor,
            target=found.terminal,
            terminal=f"{found.terminal.outlet.name} · {found.terminal.name}",
            data={"by_code": True, "code_by": found.created_by_id},
        )
    return found.terminal


def pairing_codes_live(*, property: Property) -> dict[int, TerminalPairingCode]:
    """terminal id → its live code, for the manager's outlets screen (one query)."""
    now = timezone.now()
    return {
        c.terminal_id: c
        for c in TerminalPairingCode.objects.filter(
            property=property, used_at__isnull=True, expires_at__gt=now
        ).order_by("created_at")
    }


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def device_pairing_start(*, property: Property) -> tuple[DevicePairing, str]:
    """A new code for the tablet to show, unique among the property's live ones, and the
    secret the tablet keeps in its cookie to collect the binding later."""
    now = timezone.now()
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        live = set(
            DevicePairing.objects.filter(
                property=property, bound_at__isnull=True, expires_at__gt=now
            ).values_list("code", flat=True)
        )
        pairing = DevicePairing.objects.create(
            property=property,
            code=_fresh_code(live),
            secret_hash=_secret_hash(secret),
            created_at=now,
            expires_at=now + timedelta(minutes=PAIRING_CODE_MINUTES),
        )
    return pairing, secret


def device_pairing_get(*, property: Property, secret: str) -> DevicePairing | None:
    """The tablet's pairing still to be used: not expired, not collected; else None."""
    if not secret:
        return None
    return (
        DevicePairing.objects.filter(
            property=property,
            secret_hash=_secret_hash(secret),
            claimed_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("terminal__outlet")
        .first()
    )


def device_pairing_bind(
    *, property: Property, code: str, terminal: Terminal, actor
) -> DevicePairing:
    """The manager binds the tablet showing `code` to `terminal`; the tablet then has
    PAIRING_CODE_MINUTES to collect it. Audited.
    Raises: InvalidInput (one message for a wrong, expired, already bound or other
    property's code; another for an inactive terminal)."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())[:CODE_DIGITS]
    if len(code) != CODE_DIGITS:
        raise _refused()
    if terminal.property_id != property.pk or not terminal.is_active:
        raise InvalidInput(_("Choose an active terminal of this property."))
    now = timezone.now()
    with transaction.atomic():
        found = (
            DevicePairing.objects.select_for_update()
            .filter(property=property, code=code, bound_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if found is None:
            raise _refused()
        found.terminal = terminal
        found.bound_by = actor
        found.bound_at = now
        found.expires_at = now + timedelta(minutes=PAIRING_CODE_MINUTES)
        found.save(update_fields=["terminal", "bound_by", "bound_at", "expires_at"])
        audit_log(
            action="pos.terminal.device_code_bound",
            property=property,
            actor=actor,
            target=terminal,
            data={"pairing": found.pk},
        )
    return found


def device_pairing_collect(*, pairing: DevicePairing, actor) -> Terminal | None:
    """The tablet's poll: the terminal it was bound to, once (locked: two polls at once
    collect it once); None while the manager has not bound it. Audited."""
    with transaction.atomic():
        locked = (
            DevicePairing.objects.select_for_update()
            .filter(pk=pairing.pk, claimed_at__isnull=True, expires_at__gt=timezone.now())
            .exclude(terminal=None)
            .select_related("terminal__outlet")
            .first()
        )
        if locked is None or not locked.terminal.is_active:
            return None
        locked.claimed_at = timezone.now()
        locked.save(update_fields=["claimed_at"])
        terminal = locked.terminal
        audit_log(
            action="pos.terminal.bound",
            property=terminal.property,
            actor=actor,
            target=terminal,
            terminal=f"{terminal.outlet.name} · {terminal.name}",
            data={"by_device_code": True, "code_by": locked.bound_by_id},
        )
    return terminal
