"""A property's settings changed by its manager (/manage/property/, issue 21): its name and
legal identity (the invoices' header), contact, classification (it chooses the tourist tax
tariff), default language, the websites that may embed the booking engine, the check-in and
check-out hours (booking engine, confirmation e-mail, the guest's pre-arrival page) and the
invoice footer (legal mentions printed on every invoice issued from now on).

The time zone, the currency and the hour the business day rolls are shown, not changed here:
they date and price every document already issued (business dates, closures, the fiscal
journal), so changing them is the platform administrators' job, done with the history in
view. A posted change of one of them is refused, nothing saved."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audited_save
from core.exceptions import InvalidInput
from core.models import Property

PROPERTY_FIELDS = (
    "name",
    "legal_name",
    "siret",
    "vat_number",
    "address_line",
    "postal_code",
    "city",
    "country",
    "email",
    "phone",
    "classification",
    "default_language",
    "booking_frame_ancestors",
    "check_in_time",
    "check_out_time",
    "invoice_footer",
)
LOCKED_FIELDS = ("timezone", "currency", "business_day_roll_hour")


def property_settings_save(*, property: Property, actor, fields: dict, locked: dict) -> Property:
    """Change the manager's settings of `property` (audited `core.property`). `locked` holds
    what the form posted for the time zone, currency and roll hour: a different value is
    refused."""
    if set(fields) - set(PROPERTY_FIELDS):
        raise InvalidInput(_("Unknown field."))
    for name, value in locked.items():
        if (
            name in LOCKED_FIELDS
            and value not in (None, "")
            and str(value) != str(getattr(property, name))
        ):
            raise InvalidInput(
                _(
                    "The time zone, the currency and the hour the business day changes date "
                    "and price every document already issued: they cannot be changed here. "
                    "Ask the platform's administrator."
                ),
                extra={"field": name},
            )
    fields = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    if not fields.get("name"):
        raise InvalidInput(_("The property needs a name."), extra={"field": "name"})
    if not fields.get("legal_name"):
        raise InvalidInput(
            _("The legal name is printed on every invoice: it cannot be empty."),
            extra={"field": "legal_name"},
        )
    for name in ("check_in_time", "check_out_time"):
        if fields.get(name) is None:
            raise InvalidInput(_("Give the hour as 15:00."), extra={"field": name})
        fields[name] = fields[name].replace(second=0, microsecond=0)
    fields["siret"] = (fields.get("siret") or "").replace(" ", "")
    fields["vat_number"] = (fields.get("vat_number") or "").replace(" ", "").upper()
    fields["country"] = (fields.get("country") or "").upper()
    if len(fields["country"]) != 2 or not fields["country"].isalpha():
        raise InvalidInput(
            _("The country is its two-letter code (FR, BE, CH…)."), extra={"field": "country"}
        )
    with transaction.atomic():
        row = Property.objects.select_for_update().get(pk=property.pk)
        return audited_save(
            row,
            names=PROPERTY_FIELDS,
            changes=fields,
            action="core.property",
            actor=actor,
            property=row,
        )
