"""billing's part of a guest's GDPR requests (receivers of crm.signals): an open folio
balance blocks an erasure; an erasure blanks the folio holder's name (a folio is not a
fiscal document: the invoice keeps its own frozen buyer); the export lists folios and
invoices."""

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from django.utils.translation import gettext as _

from billing.models import Folio, FolioLine, Invoice, Payment
from crm.signals import erasure_blockers, guest_erasing, guest_exporting

ERASED_HOLDER = "—"


def _sum(model, field: str):
    rows = (
        model.objects.filter(folio=OuterRef("pk"))
        .order_by()
        .values("folio")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(
        Subquery(rows), Value(0), output_field=DecimalField(max_digits=14, decimal_places=2)
    )


def _folios(guest):
    return Folio.objects.filter(guest=guest).annotate(
        charges=_sum(FolioLine, "total"), paid=_sum(Payment, "amount")
    )


@receiver(erasure_blockers)
def open_balance(sender, guest, **kwargs):
    for folio in _folios(guest):
        if folio.charges != folio.paid:
            return _("A folio of this guest still has a balance: settle it before erasing.")
    return None


@receiver(guest_erasing)
def blank_folio_holder(sender, guest, **kwargs):
    Folio.objects.filter(guest=guest).update(holder_name=ERASED_HOLDER)


@receiver(guest_exporting)
def folios_and_invoices(sender, guest, **kwargs):
    return {
        "folios": [
            {
                "holder": f.holder_name,
                "opened": str(f.created_at),
                "charges": str(f.charges),
                "paid": str(f.paid),
            }
            for f in _folios(guest).order_by("pk")
        ],
        "invoices": [
            {"number": number, "date": str(day), "total": str(total)}
            for number, day, total in Invoice.objects.filter(guest=guest)
            .order_by("pk")
            .values_list("number", "business_date", "total")
        ],
    }
