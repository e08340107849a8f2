"""The night audit's report e-mailed to the managers (through the outbox, after commit).

Requested once per property and business date: a retried night-audit task finds the message
already recorded and sends nothing twice (the outbox's claim covers a message published
twice)."""

from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from core.models import Membership, OutboxMessage, Property, Role
from core.outbox import outbox_enqueue
from pms.selectors import night_audit_report

TASK = "pms.tasks.night_audit_report_email_task"


def night_audit_recipients(*, property: Property) -> list[str]:
    """The e-mail addresses of the property's active managers."""
    return sorted(
        {
            email
            for email in Membership.objects.filter(
                property=property,
                role=Role.MANAGER,
                is_active=True,
                user__is_active=True,
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        }
    )


@transaction.atomic
def night_audit_report_request(*, property: Property, business_date: date) -> bool:
    """Queue the report of `business_date` for the managers; False when it was already queued
    (or nobody would receive it)."""
    kwargs = {"property_id": property.pk, "business_date": business_date.isoformat()}
    if OutboxMessage.objects.filter(task=TASK, kwargs=kwargs).exists():
        return False
    if not night_audit_recipients(property=property):
        return False
    outbox_enqueue(task=TASK, kwargs=kwargs, property=property)
    return True


def night_audit_report_send(*, property_id: int, business_date: str) -> int:
    """Send the report (pms.tasks runs it through the outbox). Returns how many recipients."""
    prop = Property.objects.get(pk=property_id)
    day = date.fromisoformat(business_date)
    recipients = night_audit_recipients(property=prop)
    if not recipients:
        return 0
    report = night_audit_report(property=prop, business_date=day)
    with translation.override(prop.default_language):
        send_mail(
            subject=_("Night audit of %(date)s at %(property)s")
            % {"date": f"{day:%d/%m/%Y}", "property": prop.name},
            message=render_to_string("pms/email/night_audit.txt", {"report": report, "prop": prop}),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
    return len(recipients)
