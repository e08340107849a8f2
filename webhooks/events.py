"""The events a subscription may ask for, and the payload version they are sent in.

Every payload is `{"type", "version", "timestamp", "property", "data"}` (Standard Webhooks'
shape plus a version): a field is only ever added within a version; a removed or renamed
field means a new version. The `data` of each event is documented in the OpenAPI schema
(webhooks.schema) and in docs/webhooks.md."""

from django.utils.translation import gettext_lazy as _

PAYLOAD_VERSION = 1

EVENTS: dict[str, str] = {
    "reservation.created": _("A reservation was created"),
    "reservation.changed": _("A reservation's dates or rooms changed"),
    "reservation.cancelled": _("A reservation was cancelled"),
    "reservation.no_show": _("A reservation was marked as no-show"),
    "stay.checked_in": _("A guest checked in"),
    "stay.checked_out": _("A guest checked out"),
    "order.paid": _("A till sale was paid"),
    "order.refunded": _("A till sale was refunded"),
    "folio.charge_posted": _("Charges were posted to a folio"),
    "invoice.issued": _("An invoice was issued"),
    "credit_note.issued": _("A credit note was issued"),
    # coalesced: one message per property per run of the beat, listing what changed
    "availability.changed": _("Availability changed (rooms, slots, passes or stock)"),
    "alert.raised": _("A manager's alert was raised (stock, cash, feeds, journal…)"),
    # guests belong to the organisation: sent to the subscribers of each of its properties
    "guest.created": _("A guest profile was created"),
    "guest.merged": _("A duplicate guest profile was merged into another"),
    "guest.erased": _("A guest's personal data was erased"),
}

ORGANIZATION_EVENTS = frozenset({"guest.created", "guest.merged", "guest.erased"})
