"""Billing API (relative to /api/v1/properties/<property_slug>/).

Who may read a folio: capability `billing.read` (front desk, manager, accountant, admin).
POS roles (waiter, bartender, cashier) do not read folios: a room charge answers them with
the ticket and the folio's public id only, so a bar tablet never lists a guest's stay."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from billing.selectors import folio_detail
from core.api import PropertyScopedApi


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
