"""Pairing a new tablet to a terminal by a short code (issue 21): the manager's outlets
screen shows a 6-digit code for a terminal; whoever is signed in on the new tablet types it
and that browser is bound to the terminal (the signed cookie of core.terminals, set by the
view). A code lasts PAIRING_CODE_MINUTES, is used once, and a wrong code is counted (the
view rate-limits the tries), so a code cannot be guessed in its lifetime."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput
from core.models import Property
from pos.models import Terminal, TerminalPairingCode

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
    refused = InvalidInput(_("This code is wrong or has expired: ask the manager for a new one."))
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
