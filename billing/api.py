"""Billing API (relative to /api/v1/properties/<property_slug>/).

Who may read a folio: capability `billing.read` (front desk, manager, accountant, admin).
POS roles (waiter, bartender, cashier) do not read folios: a room charge answers them with
the ticket and the folio's public id only, so a bar tablet never lists a guest's stay."""

import hashlib
from collections.abc import Callable
from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.utils.encoders import JSONEncoder

from billing.models import Folio, Invoice
from billing.selectors import folio_detail
from billing.services.folios import folio_post_external_charge, folio_totals
from billing.services.invoices import credit_note_issue_for_invoice, invoice_issue_for_folio
from core.api import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_PARAMETER,
    PropertyScopedApi,
    idempotent_response,
)
from core.api_reads import BoundedDateField, ConditionalReads, jsonable
from core.exceptions import NotFound
from core.roles import role_has


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


class FolioDetailApi(ConditionalReads, PropertyScopedApi):
    """A folio with its lines (VAT locked per line), payments, VAT per rate and balance."""

    capability = "billing.read"

    @extend_schema(
        operation_id="billing_folio_detail", responses={200: FolioDetailOutputSerializer}
    )
    def get(self, request, property_slug: str, public_id):
        detail = folio_detail(property=self.property, public_id=public_id)
        return self.read_body(request, FolioDetailOutputSerializer(detail).data)


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


class InvoiceDetailApi(ConditionalReads, PropertyScopedApi):
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
        return self.read_body(request, _invoice_payload(invoice))


class FolioChargeOutputSerializer(serializers.Serializer):
    folio = serializers.UUIDField(source="folio.public_id")
    line = FolioLineOutputSerializer()
    balance = _Money()


CHARGE_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Required: the charge's id in the calling system. A retry with the same key "
    "answers the first result and posts nothing.",
)


class FolioChargeApi(PropertyScopedApi):
    """Post a charge from an outside system (spa, phone exchange, another till) to an open
    folio: a catalogue product (its VAT rate and revenue category), at today's API price or
    the caller's `unit_price` (roles that may set prices). Always with an Idempotency-Key: a
    network retry posts nothing twice. Capability pms.frontdesk (front desk, manager, admin)."""

    capability = "pms.frontdesk"

    class InputSerializer(serializers.Serializer):
        product = serializers.CharField(max_length=100, help_text="The product's code.")
        quantity = serializers.DecimalField(
            max_digits=10, decimal_places=3, required=False, default=Decimal("1")
        )
        unit_price = serializers.DecimalField(
            max_digits=8,
            decimal_places=2,
            required=False,
            allow_null=True,
            default=None,
            help_text="Gross, VAT included; absent: the catalogue's price.",
        )
        description = serializers.CharField(max_length=300, required=False, allow_blank=True)
        service_date = BoundedDateField(required=False, allow_null=True, default=None)

    @extend_schema(
        operation_id="billing_folio_charge_post",
        request=InputSerializer,
        responses={201: FolioChargeOutputSerializer},
        parameters=[CHARGE_KEY_PARAMETER],
        examples=[
            OpenApiExample(
                "A cocktail served by a partner's till",
                value={"product": "spritz", "quantity": "2", "unit_price": "10.00"},
                request_only=True,
            ),
            OpenApiExample(
                "Posted",
                status_codes=[201],
                response_only=True,
                value={
                    "folio": "3f9a1c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
                    "line": {
                        "id": 812,
                        "business_date": "2026-06-01",
                        "service_date": "2026-06-01",
                        "description": "Spritz",
                        "quantity": "2.000",
                        "unit_price": "10.00",
                        "total": "20.00",
                        "vat_rate": "20.00",
                        "vat_amount": "3.33",
                        "net": "16.67",
                        "revenue_category": "alcohol",
                        "applied_rule": "",
                        "source": "api.charge:7:5c1e9a0e2b7d4f38",
                        "reverses": None,
                    },
                    "balance": "420.00",
                },
            ),
        ],
    )
    def post(self, request, property_slug: str, public_id):
        key = request.META.get(IDEMPOTENCY_HEADER, "").strip()
        if not key:
            raise serializers.ValidationError({"Idempotency-Key": [_("This header is required.")]})
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        folio = Folio.objects.filter(property=self.property, public_id=public_id).first()
        if folio is None:
            raise NotFound(_("No such folio."))

        key_digest = hashlib.sha256(key.encode()).hexdigest()[:40]

        def compute():
            line = folio_post_external_charge(
                folio=folio,
                product_code=data["product"],
                quantity=data["quantity"],
                unit_price=data["unit_price"],
                description=data.get("description", ""),
                service_date=data["service_date"],
                source=f"api.charge:{request.user.pk}:{key_digest}",
                may_set_price=role_has(self.membership.role, "pos.price_override"),
                actor=request.user,
            )
            body = {"folio": folio, "line": line, "balance": folio_totals(folio=folio)["balance"]}
            return status.HTTP_201_CREATED, jsonable(FolioChargeOutputSerializer(body).data)

        return idempotent_response(request, scope="billing.folio.charge", compute=compute)
