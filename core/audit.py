"""The audit trail: one call, in the same transaction as the change it records."""

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
