"""The chart of accounts mapping a manager or the accountant sets on screen (/manage/accounts/,
issue 21): each mapping key of the exports (revenue per category, VAT per rate, tourist tax,
customers, deposits, payment methods…) with the French default (DEFAULT_ACCOUNTS) or the
property's own account. An export already made keeps the accounts it was made with; the next
one reads these."""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import AccountingAccount
from billing.services.accounting import DEFAULT_ACCOUNTS
from core.audit import audit_log
from core.exceptions import InvalidInput
from core.models import Property

ACCOUNT_NUMBER = re.compile(r"^\d{3}[0-9A-Z]*$")


def chart_rows(*, property: Property) -> list[dict]:
    """Every key: its default, the property's override (None: the default applies). One query."""
    own = {a.key: a for a in AccountingAccount.objects.filter(property=property)}
    rows = []
    for key, (number, label) in DEFAULT_ACCOUNTS.items():
        row = own.get(key)
        rows.append(
            {
                "key": key,
                "default_number": number,
                "default_label": label,
                "number": row.number if row else number,
                "label": row.label if row else label,
                "own": row is not None,
            }
        )
    return rows


def chart_save(*, property: Property, actor, values: dict[str, tuple[str, str]]) -> int:
    """Set the property's accounts: a key typed back to its default (or emptied) drops the
    override. Checked whole before anything is written; one audit row `billing.chart.changed`
    with each changed key before → after. Returns the number of keys changed."""
    if set(values) - set(DEFAULT_ACCOUNTS):
        raise InvalidInput(_("Unknown account key."))
    wanted = {}
    for key, (number, label) in values.items():
        number = (number or "").strip().upper()
        label = (label or "").strip()
        default_number, default_label = DEFAULT_ACCOUNTS[key]
        if not number:
            number, label = default_number, label or default_label
        if len(number) > 20 or not ACCOUNT_NUMBER.match(number):
            raise InvalidInput(
                _("%(key)s: an account starts with 3 digits, then digits or capitals (706100).")
                % {"key": key}
            )
        if not label:
            label = default_label
        if len(label) > 100:
            raise InvalidInput(_("%(key)s: a label has at most 100 characters.") % {"key": key})
        wanted[key] = (
            None
            if (number, label) == (default_number, default_label)
            else (
                number,
                label,
            )
        )
    with transaction.atomic():
        own = {
            a.key: a
            for a in AccountingAccount.objects.select_for_update().filter(property=property)
        }
        before, after = {}, {}
        for key, target in wanted.items():
            row = own.get(key)
            current = (row.number, row.label) if row else None
            if current == target:
                continue
            shown = lambda v, k=key: " ".join(v or DEFAULT_ACCOUNTS[k])  # noqa: E731
            before[key], after[key] = shown(current), shown(target)
            if target is None:
                row.delete()
            elif row is None:
                AccountingAccount.objects.create(
                    property=property, key=key, number=target[0], label=target[1]
                )
            else:
                row.number, row.label = target
                row.save(update_fields=["number", "label"])
        if before:
            audit_log(
                action="billing.chart.changed",
                property=property,
                actor=actor,
                data={"model": "billing.accountingaccount", "before": before, "after": after},
            )
        return len(before)
