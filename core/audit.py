"""The audit trail: one call, in the same transaction as the change it records."""

from collections.abc import Sequence
from typing import Any

from django.db import models

from core.models import AuditEntry, Property


def audit_log(
    *,
    action: str,
    property: Property | None,
    actor=None,
    target: models.Model | None = None,
    terminal: str = "",
    channel: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        property=property,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        terminal=terminal,
        channel=channel,
        business_date=property.business_date() if property is not None else None,
        data=data or {},
    )


def _plain(value: Any) -> Any:
    """A field's value as the history page shows it (JSON: ids, strings, numbers)."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def audited_save(
    row: models.Model,
    *,
    names: Sequence[str],
    changes: dict[str, Any],
    action: str,
    actor,
    property: Property | None = None,
) -> models.Model:
    """Set `changes` on `row` (a new one or not), check it whole (validators, choices, unique
    and check constraints: InvalidInput with the first message, nothing saved), save it and
    record `<action>.created` or `<action>.changed` with the `names` fields before → after.
    For the back office's settings rows (printers, terminals, stations); call it inside the
    change's transaction. `property`: the audit row's, when `row` has none of its own (the
    property itself, an organisation's company)."""
    from django.core.exceptions import ValidationError

    from core.exceptions import InvalidInput

    is_new = row.pk is None
    before = {} if is_new else {n: _plain(getattr(row, n)) for n in names}
    for name, value in changes.items():
        setattr(row, name, value)
    try:
        row.full_clean()
    except ValidationError as exc:
        messages = (
            [m for ms in exc.message_dict.values() for m in ms]
            if hasattr(exc, "error_dict")
            else exc.messages
        )
        raise InvalidInput(messages[0] if messages else None) from None
    row.save()
    after = {n: _plain(getattr(row, n)) for n in names}
    changed = [n for n in names if before.get(n) != after[n]] if not is_new else list(names)
    if changed:
        audit_log(
            action=f"{action}.{'created' if is_new else 'changed'}",
            property=property if property is not None else row.property,
            actor=actor,
            target=row,
            data={
                "model": row._meta.label_lower,
                "object_id": row.pk,
                "object": str(row),
                "before": {n: before.get(n) for n in changed} if not is_new else {},
                "after": {n: after[n] for n in changed},
            },
        )
    return row
