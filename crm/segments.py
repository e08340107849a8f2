"""A segment's rules as data, checked before they are saved (CRM-2).

A rule is a small dict with a `type`; crm checks its shape and values here, reporting
evaluates it (reporting.segments: it reads sales and stays, which crm may not). Every
message is translated and names what is wrong; nothing is saved on a bad rule.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.money import quantize

RULE_TYPES = (
    "spent",  # spent more than `min` (in `category`, at `outlet`, between `from`/`to` or
    # during the guest's last stay)
    "visits",  # at least `min` stays
    "stayed",  # stayed between `from` and `to` (a season or any date range)
    "last_stay_before",  # the last stay ended before `date`
    "language",  # the guest's language is `value`
    "company",  # works for company `value` (a pk)
    "consent",  # gave marketing consent (CPCE L34-5)
)


def _date(value, *, label: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(
            _("%(label)s: “%(value)s” is not a date.") % {"label": label, "value": value}
        )


def _positive_int(value, *, label: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise InvalidInput(_("%(label)s must be a whole number.") % {"label": label})
    if number < 1:
        raise InvalidInput(_("%(label)s must be at least 1.") % {"label": label})
    return number


def segment_rule_clean(rule: dict) -> dict:
    """One rule, normalised (dates ISO, amounts as strings of cents). Raises InvalidInput."""
    kind = (rule or {}).get("type")
    if kind not in RULE_TYPES:
        raise InvalidInput(_("Unknown kind of rule."))
    if kind == "spent":
        try:
            amount = quantize(Decimal(str(rule.get("min", "")).replace(",", ".")))
        except (InvalidOperation, ValueError):
            raise InvalidInput(_("Enter the amount spent."))
        if amount < 0:
            raise InvalidInput(_("The amount spent cannot be negative."))
        start = _date(rule.get("from"), label=_("From"))
        end = _date(rule.get("to"), label=_("To"))
        if start and end and end < start:
            raise InvalidInput(_("The period ends before it starts."))
        return {
            "type": kind,
            "min": str(amount),
            "category": str(rule.get("category") or "")[:20],
            "outlet": str(rule.get("outlet") or "")[:100],
            "from": start.isoformat() if start else "",
            "to": end.isoformat() if end else "",
            "during_last_stay": bool(rule.get("during_last_stay")),
        }
    if kind == "visits":
        return {"type": kind, "min": _positive_int(rule.get("min"), label=_("Visits"))}
    if kind == "stayed":
        start = _date(rule.get("from"), label=_("From"))
        end = _date(rule.get("to"), label=_("To"))
        if start is None or end is None:
            raise InvalidInput(_("A stay period needs a start and an end."))
        if end < start:
            raise InvalidInput(_("The period ends before it starts."))
        return {"type": kind, "from": start.isoformat(), "to": end.isoformat()}
    if kind == "last_stay_before":
        day = _date(rule.get("date"), label=_("Last stay before"))
        if day is None:
            raise InvalidInput(_("Enter the date the last stay must end before."))
        return {"type": kind, "date": day.isoformat()}
    if kind == "language":
        value = str(rule.get("value") or "")
        if value not in dict(settings.LANGUAGES):
            raise InvalidInput(_("Unknown language."))
        return {"type": kind, "value": value}
    if kind == "company":
        return {"type": kind, "value": _positive_int(rule.get("value"), label=_("Company"))}
    return {"type": kind}


def segment_rules_clean(rules: list[dict]) -> list[dict]:
    """Every rule checked; a segment needs at least one. Raises InvalidInput."""
    if not rules:
        raise InvalidInput(_("A segment needs at least one rule."))
    return [segment_rule_clean(rule) for rule in rules]
