"""Billing API (relative to /api/v1/properties/<property_slug>/).

Who may read a folio: capability `billing.read` (front desk, manager, accountant, admin).
POS roles (waiter, bartender, cashier) do not read folios: a room charge answers them with
the ticket and the folio's public id only, so a bar tablet never lists a guest's stay."""

from collections.abc import Callable

from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from billing.models import Invoice
from billing.selectors import folio_detail
from billing.services.invoices import credit_note_issue_for_invoice, invoice_issue_for_folio
from core.api import IDEMPOTENCY_PARAMETER, PropertyScopedApi, idempotent_response
from core.exceptions import NotFound


class _Money(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=2, **kwargs)


class FolioLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    business_date = serializers.DateField()
    service_date = serializers.DateField(allow_null=True)
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=10, decimal_places=3)
    unit_price = _Money()
    total = _Money()
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    vat_amount = _Money()
    net = _Money()
    revenue_category = serializers.CharField()
    applied_rule = serializers.CharField()
    source = serializers.CharField()
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True)


class FolioPaymentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    method = serializers.CharField()
    amount = _Money()
    business_date = serializers.DateField()
    terminal_reference = serializers.CharField()


class VatRowOutputSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    net = _Money()
    vat = _Money()
    gross = _Money()


class FolioDetailOutputSerializer(serializers.Serializer):
    folio = serializers.UUIDField(source="folio.public_id")
    holder_name = serializers.CharField(source="folio.holder_name")
    status = serializers.CharField(source="folio.status")
    currency = serializers.CharField(source="folio.currency")
    lines = FolioLineOutputSerializer(many=True)
    payments = FolioPaymentOutputSerializer(many=True)
    vat = VatRowOutputSerializer(many=True)
    charges = _Money()
    paid = _Money()
    balance = _Money()


class FolioDetailApi(PropertyScopedApi):
    """A folio with its lines (VAT locked per line), payments, VAT per rate and balance."""

    capability = "billing.read"

    @extend_schema(
        operation_id="billing_folio_detail", responses={200: FolioDetailOutputSerializer}
    )
    def get(self, request, property_slug: str, public_id):
        detail = folio_detail(property=self.property, public_id=public_id)
        return Response(FolioDetailOutputSerializer(detail).data)


class InvoiceLineOutputSerializer(serializers.Serializer):
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=10, decimal_places=3)
    unit_price = _Money()
    total = _Money()
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    vat_amount = _Money()
    net = _Money()
    revenue_category = serializers.CharField()
    service_date = serializers.DateField(allow_null=True)
    folio_line = serializers.IntegerField(source="folio_line_id", allow_null=True)


class InvoiceOutputSerializer(serializers.Serializer):
    invoice = serializers.UUIDField(source="public_id")
    kind = serializers.CharField()
    number = serializers.CharField()
    original = serializers.CharField(source="original.number", allow_null=True, default=None)
    issue_date = serializers.DateField()
    business_date = serializers.DateField()
    seller = serializers.DictField()
    buyer = serializers.DictField()
    currency = serializers.CharField()
    lines = InvoiceLineOutputSerializer(many=True, source="lines.all")
    vat = VatRowOutputSerializer(many=True, source="vat_lines.all")
    total = _Money()
    net = _Money()
    vat_total = _Money()
    tourist_tax = _Money()
    payments = serializers.ListField()
    paid = _Money()
    balance = _Money()
    reason = serializers.CharField()


def _invoice_payload(invoice: Invoice) -> dict:
    import json

    data = InvoiceOutputSerializer(invoice).data
    return json.loads(json.dumps(data, cls=JSONEncoder))


def _line_ids() -> serializers.ListField:
    """The ids of some of the document's lines (none: every line)."""
    return serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        default=None,
        max_length=1000,
    )


# the component names the nested serializers had (core.schema prefixed them with the view)
@extend_schema_serializer(component_name="InvoiceIssueBillingInvoiceIssueInput")
class InvoiceIssueInput(serializers.Serializer):
    lines = _line_ids()
    company = serializers.IntegerField(required=False, allow_null=True, default=None)


@extend_schema_serializer(component_name="CreditNoteIssueBillingCreditNoteIssueInput")
class CreditNoteIssueInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    lines = _line_ids()
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )


def _issue_schema(operation_id: str, request) -> dict:
    return {
        "post": extend_schema(
            operation_id=operation_id,
            request=request,
            responses={201: InvoiceOutputSerializer},
            parameters=[IDEMPOTENCY_PARAMETER],
        )
    }


class _DocumentIssueApi(PropertyScopedApi):
    """POST: parse the input, issue the document with the subclass's billing service in the
    write an Idempotency-Key replays (`scope`), answer 201 with it."""

    InputSerializer: type[serializers.Serializer]
    scope: str
    # each subclass defines issue(self, request, public_id, data) -> Invoice with its service
    issue: Callable[..., Invoice]

    def post(self, request, property_slug: str, public_id):
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data

        def compute():
            return status.HTTP_201_CREATED, _invoice_payload(self.issue(request, public_id, data))

        return idempotent_response(request, scope=self.scope, compute=compute)


@extend_schema_view(**_issue_schema("billing_invoice_issue", InvoiceIssueInput))
class InvoiceIssueApi(_DocumentIssueApi):
    """Issue an invoice for a folio: every line not yet invoiced, or the listed folio lines
    (split folio: e.g. the room nights to a company, the extras to the guest).
    Capability billing.read (front desk, manager, accountant, admin)."""

    capability = "billing.read"
    InputSerializer = InvoiceIssueInput
    scope = "billing.invoice.issue"

    def issue(self, request, public_id, data: dict) -> Invoice:
        return invoice_issue_for_folio(
            property=self.property,
            folio_public_id=public_id,
            actor=request.user,
            line_ids=data["lines"],
            company_id=data["company"],
        )


@extend_schema_view(**_issue_schema("billing_credit_note_issue", CreditNoteIssueInput))
class CreditNoteIssueApi(_DocumentIssueApi):
    """Credit an invoice: in full, some of its lines, or an amount (spread over its VAT
    rates). Capability billing.accounting (accountant, manager, admin)."""

    capability = "billing.accounting"
    InputSerializer = CreditNoteIssueInput
    scope = "billing.credit_note.issue"

    def issue(self, request, public_id, data: dict) -> Invoice:
        return credit_note_issue_for_invoice(
            property=self.property,
            invoice_public_id=public_id,
            actor=request.user,
            reason=data["reason"],
            line_ids=data["lines"],
            amount=data["amount"],
        )


class InvoiceDetailApi(PropertyScopedApi):
    """An issued invoice or credit note, as frozen at issue."""

    capability = "billing.read"

    @extend_schema(operation_id="billing_invoice_detail", responses={200: InvoiceOutputSerializer})
    def get(self, request, property_slug: str, public_id):
        invoice = (
            Invoice.objects.filter(property=self.property, public_id=public_id)
            .select_related("original")
            .first()
        )
        if invoice is None:
            raise NotFound()
        return Response(_invoice_payload(invoice))
