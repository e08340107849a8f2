"""Companies (corporate accounts) created and changed by a manager (/manage/companies/, issue
21): name, legal identity (SIREN, SIRET, VAT number: they make its invoices Factur-X
e-invoices), address, billing e-mail, payment terms (the days after an invoice's date that
make its due date) and the negotiated rate plans its staff are entitled to. A company
belongs to the organisation (every property of the group bills it); the plans a manager sets
are his property's, the other properties' plans of the company are kept."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log, audited_save
from core.exceptions import InvalidInput, NotFound
from core.models import Property
from crm.models import Company
from inventory.models import RatePlan

COMPANY_FIELDS = (
    "name",
    "vat_number",
    "siren",
    "siret",
    "address",
    "postal_code",
    "city",
    "country",
    "email",
    "payment_terms_days",
)


def company_save(
    *,
    property: Property,
    actor,
    fields: dict,
    rate_plans: list[RatePlan],
    company: Company | None = None,
) -> Company:
    """Create or change a company of the property's organisation (audited `crm.company`);
    `rate_plans` replaces the company's plans of this property only."""
    if company is not None and company.organization_id != property.organization_id:
        raise NotFound()
    if set(fields) - set(COMPANY_FIELDS):
        raise InvalidInput(_("Unknown field."))
    if any(plan.property_id != property.pk for plan in rate_plans):
        raise NotFound()
    fields = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    if not fields.get("name"):
        raise InvalidInput(_("The company needs a name."), extra={"field": "name"})
    for name in ("vat_number", "siren", "siret"):
        fields[name] = (fields.get(name) or "").replace(" ", "").upper()
    fields["country"] = (fields.get("country") or "").upper()
    if len(fields["country"]) != 2 or not fields["country"].isalpha():
        raise InvalidInput(
            _("The country is its two-letter code (FR, BE, CH…)."), extra={"field": "country"}
        )
    terms = fields.get("payment_terms_days")
    if terms is not None and not 0 <= terms <= 60:
        raise InvalidInput(
            _(
                "Payment terms are at most 60 days after the invoice's date (French Commercial "
                "Code, art. L441-10)."
            ),
            extra={"field": "payment_terms_days"},
        )
    if fields["siret"] and (len(fields["siret"]) != 14 or not fields["siret"].isdigit()):
        raise InvalidInput(_("A SIRET has 14 digits."), extra={"field": "siret"})
    with transaction.atomic():
        row = company if company is not None else Company(organization_id=property.organization_id)
        before = (
            sorted(row.rate_plans.filter(property=property).values_list("code", flat=True))
            if row.pk
            else []
        )
        saved = audited_save(
            row,
            names=COMPANY_FIELDS,
            changes=fields,
            action="crm.company",
            actor=actor,
            property=property,
        )
        after = sorted(plan.code for plan in rate_plans)
        if after != before:
            others = saved.rate_plans.exclude(property=property)
            saved.rate_plans.set([*others, *rate_plans])
            audit_log(
                action="crm.company.rate_plans_changed",
                property=property,
                actor=actor,
                target=saved,
                data={
                    "model": "crm.company",
                    "object_id": saved.pk,
                    "object": str(saved),
                    "before": {"rate_plans": ", ".join(before)},
                    "after": {"rate_plans": ", ".join(after)},
                },
            )
        return saved
