"""The manager's alert thresholds and monthly budgets (/manage/alerts/settings/,
/manage/budgets/, issue 21): checked, saved and audited here; the alert detectors
(reporting.services.settings_for) and the dashboard (reporting.selectors) read them."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audited_save
from core.exceptions import InvalidInput
from core.models import Property
from reporting.models import AlertSettings, Budget

ALERT_FIELDS = ("basket_k", "rate_factor", "cash_threshold")
BUDGET_FIELDS = ("room_revenue", "total_revenue", "occupancy")


def _decimal(raw, label: str, field: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(",", ".").replace(" ", "").replace("\u202f", ""))
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            _("%(field)s: type a number, such as 12,50.") % {"field": label},
            extra={"field": field},
        ) from None
    if not value.is_finite():
        raise InvalidInput(
            _("%(field)s: type a number, such as 12,50.") % {"field": label},
            extra={"field": field},
        )
    return value


def alert_settings_save(*, property: Property, actor, values: dict) -> AlertSettings:
    """Change the property's thresholds (audited `reporting.alert_settings`)."""
    fields = {}
    for name in ALERT_FIELDS:
        label = str(AlertSettings._meta.get_field(name).verbose_name)
        fields[name] = _decimal(values.get(name, ""), label, name)
    if fields["basket_k"] < 1 or fields["rate_factor"] < 1:
        raise InvalidInput(
            _("A factor below 1 would flag the usual tickets and rates: give 1 or more."),
            extra={"field": "basket_k"},
        )
    if fields["cash_threshold"] < 0:
        raise InvalidInput(
            _("The cash difference threshold cannot be negative."),
            extra={"field": "cash_threshold"},
        )
    fields["basket_k"] = fields["basket_k"].quantize(Decimal("0.1"))
    fields["rate_factor"] = fields["rate_factor"].quantize(Decimal("0.1"))
    fields["cash_threshold"] = fields["cash_threshold"].quantize(Decimal("0.01"))
    with transaction.atomic():
        row = AlertSettings.objects.select_for_update().filter(
            property=property
        ).first() or AlertSettings(property=property)
        return audited_save(
            row,
            names=ALERT_FIELDS,
            changes=fields,
            action="reporting.alert_settings",
            actor=actor,
        )


def parse_month(raw: str) -> date | None:
    """ "2027-07" (an <input type="month">) or "2027-07-01": the first day of that month."""
    try:
        year, month = str(raw).strip()[:7].split("-")
        return date(int(year), int(month), 1)
    except (TypeError, ValueError):
        return None


def budget_save(*, property: Property, actor, month: date | None, values: dict) -> Budget:
    """Set one month's budget (a new month or a change, audited `reporting.budget`)."""
    if month is None:
        raise InvalidInput(_("Choose the month."), extra={"field": "month"})
    fields = {}
    for name in BUDGET_FIELDS:
        label = str(Budget._meta.get_field(name).verbose_name)
        fields[name] = _decimal(values.get(name, ""), label, name).quantize(Decimal("0.01"))
        if fields[name] < 0:
            raise InvalidInput(_("A budget cannot be negative."), extra={"field": name})
    if fields["occupancy"] > 100:
        raise InvalidInput(_("An occupancy is between 0 and 100 %."), extra={"field": "occupancy"})
    if fields["room_revenue"] > fields["total_revenue"]:
        raise InvalidInput(
            _("The room revenue is part of the total revenue: it cannot be larger."),
            extra={"field": "total_revenue"},
        )
    with transaction.atomic():
        row = Budget.objects.select_for_update().filter(property=property, month=month).first()
        return audited_save(
            row or Budget(property=property, month=month),
            names=("month", *BUDGET_FIELDS),
            changes=fields,
            action="reporting.budget",
            actor=actor,
        )
