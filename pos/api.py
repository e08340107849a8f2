"""POS API: the one-transaction sale and its refund (relative to
/api/v1/properties/<property_slug>/). Thin: parse, resolve inside the property, call the
service, serialise. Domain errors are mapped once by core.api.exception_handler."""

import hashlib
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status

from billing.models import Payment
from billing.services.payments import TenderInput
from core.api import IDEMPOTENCY_PARAMETER, PropertyScopedApi, idempotent_response
from core.api_reads import ConditionalReads, jsonable
from core.exceptions import InvalidInput, NotFound, PermissionDenied
from core.roles import role_has
from core.schema import ErrorSerializer
from core.staff import outlet_allowed
from inventory.models import Product
from inventory.selectors import products_for_property
from inventory.services.pricing import QuoteLineInput
from pos.selectors import order_get, reservation_by_reference, terminal_get
from pos.services.checkout import Sale, SaleRequest, order_refund, sale_checkout
from pos.services.refunds import order_refund_lines, order_refunded_in_part, refundable_lines

ERROR = ErrorSerializer


class VatOutputSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    net = serializers.DecimalField(max_digits=14, decimal_places=2)
    vat = serializers.DecimalField(max_digits=14, decimal_places=2)
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)


class SaleLineOutputSerializer(serializers.Serializer):
    description = serializers.CharField()
    product = serializers.IntegerField(source="product_id", allow_null=True)
    quantity = serializers.DecimalField(max_digits=10, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    vat_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    net = serializers.DecimalField(max_digits=14, decimal_places=2)
    revenue_category = serializers.CharField()
    applied_rule = serializers.CharField()
    service_date = serializers.DateField(allow_null=True)


class PaymentOutputSerializer(serializers.Serializer):
    method = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    tendered = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    change = serializers.DecimalField(max_digits=14, decimal_places=2)
    terminal_reference = serializers.CharField()


# serialises a pos.services.checkout.Sale: the order, its ticket and the ticket's rows (a
# comment, not a docstring: the docstring would become the schema's description)
class OrderOutputSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="order.pk")
    status = serializers.CharField(source="order.status")
    ticket = serializers.UUIDField(source="order.ticket.public_id")
    ticket_number = serializers.IntegerField(source="order.ticket.number")
    business_date = serializers.DateField(source="order.ticket.business_date")
    outlet = serializers.CharField(source="order.ticket.outlet")
    terminal = serializers.CharField(source="order.ticket.terminal")
    currency = serializers.CharField(source="order.ticket.currency")
    total = serializers.DecimalField(source="order.ticket.total", max_digits=14, decimal_places=2)
    total_vat = serializers.DecimalField(
        source="order.ticket.total_vat", max_digits=14, decimal_places=2
    )
    change = serializers.SerializerMethodField()
    vat = VatOutputSerializer(source="vat_lines", many=True)
    lines = SaleLineOutputSerializer(many=True)
    payments = PaymentOutputSerializer(many=True)
    folio = serializers.SerializerMethodField()
    reservation = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_change(self, sale: Sale) -> str:
        total = sum((p.change for p in sale.payments), Decimal("0.00"))
        return serializers.DecimalField(max_digits=14, decimal_places=2).to_representation(total)

    def get_folio(self, sale: Sale) -> str | None:
        folio = sale.order.ticket.folio
        return str(folio.public_id) if folio else None

    def get_reservation(self, sale: Sale) -> str | None:
        order = sale.order
        return order.reservation.reference if order.reservation_id else None


def _client_key(raw: str | None) -> str | None:
    """Keys up to 100 characters are kept as sent; longer ones by their SHA-256."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return raw if len(raw) <= 100 else "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


class OrderCheckoutApi(PropertyScopedApi):
    """Sell at a terminal in one transaction: paid by (split) tenders, or charged to a room."""

    capability = "pos.sell"

    class LineInputSerializer(serializers.Serializer):
        product = serializers.CharField(max_length=50, help_text="Product code or id.")
        variant = serializers.IntegerField(required=False, allow_null=True)
        modifiers = serializers.ListField(
            child=serializers.IntegerField(), required=False, default=list, max_length=20
        )
        quantity = serializers.DecimalField(
            max_digits=10, decimal_places=3, required=False, default=Decimal("1")
        )
        day = serializers.DateField(required=False, allow_null=True)
        slot_time = serializers.TimeField(required=False, allow_null=True)
        unit_price = serializers.DecimalField(
            max_digits=12,
            decimal_places=2,
            required=False,
            allow_null=True,
            help_text="Price override (capability pos.price_override).",
        )

    class TenderInputSerializer(serializers.Serializer):
        method = serializers.ChoiceField(choices=Payment.Method.choices)
        amount = serializers.DecimalField(max_digits=12, decimal_places=2)
        tendered = serializers.DecimalField(
            max_digits=12, decimal_places=2, required=False, allow_null=True
        )
        terminal_reference = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=100
        )

    class InputSerializer(serializers.Serializer):
        terminal = serializers.UUIDField()
        lines = serializers.ListField(allow_empty=False, max_length=500)
        tenders = serializers.ListField(required=False, default=list, max_length=10)
        room_number = serializers.CharField(
            required=False, allow_blank=True, allow_null=True, max_length=10
        )
        reservation = serializers.CharField(
            required=False, allow_blank=True, allow_null=True, max_length=20
        )
        client_key = serializers.CharField(
            required=False, allow_blank=True, allow_null=True, max_length=200
        )
        print_receipt = serializers.BooleanField(required=False, default=False)

        def validate_lines(self, value):
            nested = OrderCheckoutApi.LineInputSerializer(data=value, many=True)
            nested.is_valid(raise_exception=True)
            return nested.validated_data

        def validate_tenders(self, value):
            nested = OrderCheckoutApi.TenderInputSerializer(data=value, many=True)
            nested.is_valid(raise_exception=True)
            return nested.validated_data

    @extend_schema(
        operation_id="pos_order_checkout",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=inline_serializer(
            "OrderCheckoutInput",
            {
                "terminal": serializers.UUIDField(),
                "lines": LineInputSerializer(many=True, allow_empty=False, max_length=500),
                "tenders": TenderInputSerializer(many=True, required=False, max_length=10),
                "room_number": serializers.CharField(
                    required=False, allow_blank=True, allow_null=True, max_length=10
                ),
                "reservation": serializers.CharField(
                    required=False, allow_blank=True, allow_null=True, max_length=20
                ),
                "client_key": serializers.CharField(
                    required=False, allow_blank=True, allow_null=True, max_length=200
                ),
                "print_receipt": serializers.BooleanField(required=False, default=False),
            },
        ),
        responses={
            201: OrderOutputSerializer,
            403: ERROR,
            404: ERROR,
            409: ERROR,
            422: ERROR,
        },
    )
    def post(self, request, property_slug: str):
        return idempotent_response(request, scope="pos.order.checkout", compute=self._checkout)

    def _checkout(self) -> tuple[int, dict]:
        request = self.request
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        prop = self.property
        terminal = terminal_get(property=prop, public_id=data["terminal"])
        if terminal is None:
            raise NotFound(_("No such terminal."))
        if not outlet_allowed(self.membership, terminal.outlet_id):
            raise PermissionDenied(
                _("You have no rights at %(outlet)s.") % {"outlet": terminal.outlet.name}
            )
        reservation = None
        if data.get("reservation"):
            reservation = reservation_by_reference(property=prop, reference=data["reservation"])
            if reservation is None:
                raise NotFound(_("No such reservation."))
        may_override = role_has(self.membership.role, "pos.price_override")
        if not may_override and any(line.get("unit_price") is not None for line in data["lines"]):
            raise PermissionDenied(_("You are not allowed to change prices."))
        key = request.META.get("HTTP_IDEMPOTENCY_KEY") or data.get("client_key")
        lines, products = self._lines(data["lines"])
        sale = sale_checkout(
            SaleRequest(
                property=prop,
                terminal=terminal,
                actor=request.user,
                lines=lines,
                products=products,
                tenders=[
                    TenderInput(
                        method=t["method"],
                        amount=t["amount"],
                        tendered=t.get("tendered"),
                        terminal_reference=t.get("terminal_reference", ""),
                    )
                    for t in data["tenders"]
                ],
                room_number=data.get("room_number"),
                reservation=reservation,
                client_key=_client_key(key),
                allow_price_override=may_override,
                print_receipt=data.get("print_receipt", False),
            )
        )
        if sale.replayed:  # the first sale's rows, read back (a new sale answers from its own)
            sale = Sale.of_order(order_get(property=prop, order_id=sale.order.pk))
        return status.HTTP_201_CREATED, OrderOutputSerializer(sale).data

    def _lines(self, lines: list[dict]) -> tuple[list[QuoteLineInput], dict[int, Product]]:
        """Resolve product codes or ids inside the property (one query, whose products the
        quote then uses)."""
        refs = {str(line["product"]).strip() for line in lines}
        ids = {int(r) for r in refs if r.isdigit()}
        found = products_for_property(property=self.property).filter(
            Q(code__in=refs) | Q(pk__in=ids)
        )
        by_code, by_id = {}, {}
        for product in found:
            by_code[product.code] = product.pk
            by_id[product.pk] = product
        resolved = []
        unknown = []
        for line in lines:
            ref = str(line["product"]).strip()
            pk = by_code.get(ref) or (int(ref) if ref.isdigit() and int(ref) in by_id else None)
            if pk is None:
                unknown.append(ref)
                continue
            resolved.append(
                QuoteLineInput(
                    product_id=pk,
                    quantity=line["quantity"],
                    variant_id=line.get("variant"),
                    modifier_ids=tuple(line.get("modifiers") or ()),
                    start=line.get("day"),
                    slot_time=line.get("slot_time"),
                    unit_price_override=line.get("unit_price"),
                )
            )
        if unknown:
            raise InvalidInput(
                _("Unknown product: %(refs)s.") % {"refs": ", ".join(unknown)},
                extra={"unknown_products": unknown},
            )
        return resolved, by_id


class OrderDetailApi(ConditionalReads, PropertyScopedApi):
    """A sale of this property, as returned by the checkout."""

    capability = "pos.sell"

    @extend_schema(operation_id="pos_order_detail", responses={200: OrderOutputSerializer})
    def get(self, request, property_slug: str, order_id: int):
        order = order_get(property=self.property, order_id=order_id)
        if order is None or order.ticket_id is None:
            raise NotFound(_("No such order."))
        return self.read_body(request, OrderOutputSerializer(Sale.of_order(order)).data)


class RefundOutputSerializer(OrderOutputSerializer):
    refund = serializers.SerializerMethodField()

    @extend_schema_field(
        inline_serializer(
            "PartRefund",
            {
                "credit_ticket_number": serializers.IntegerField(),
                "total": serializers.DecimalField(max_digits=14, decimal_places=2),
                "method": serializers.CharField(),
                "lines_left": serializers.DictField(
                    child=serializers.DecimalField(max_digits=10, decimal_places=3)
                ),
            },
            allow_null=True,
        )
    )
    def get_refund(self, sale: Sale) -> dict | None:
        credit = self.context.get("credit")
        if credit is None:
            return None
        money = serializers.DecimalField(max_digits=14, decimal_places=2)
        quantity = serializers.DecimalField(max_digits=10, decimal_places=3)
        return {
            "credit_ticket_number": credit.credit.ticket.number,
            "total": money.to_representation(credit.credit.ticket.total),
            "method": credit.payment.method if credit.payment else "room",
            "lines_left": {
                str(row.line.pk): quantity.to_representation(row.left)
                for row in refundable_lines(ticket=sale.order.ticket)
            },
        }


class RefundLineInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="A line id of the sale's ticket.")
    quantity = serializers.DecimalField(max_digits=10, decimal_places=3, min_value=Decimal("0.001"))


class OrderRefundApi(PropertyScopedApi):
    """Refund a sale (capability pos.approve): capacity back on sale, money paid back.

    Without `lines`, the whole sale: its ticket voided, each tender paid back. With
    `lines`, only those quantities of those ticket lines: a credit ticket for them, the
    money back in `method` (default: the sale's own tender; a room-charged sale is taken
    off its folio), the capacity of those units back on sale. A quantity more than is left
    of a line (after earlier refunds) is refused (422) and nothing changes."""

    capability = "pos.approve"

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=300)
        lines = RefundLineInputSerializer(
            many=True, required=False, allow_empty=False, max_length=500
        )
        # a tender code (cash, card…) checked by the service against the sale's own tenders
        method = serializers.CharField(
            required=False,
            max_length=20,
            help_text="The tender to pay the lines back in: `cash`, or one the sale was paid "
            "with (`card`, `voucher`, …). Default: the sale's own tender.",
        )
        terminal_reference = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=100
        )

    @extend_schema(
        operation_id="pos_order_refund",
        request=InputSerializer,
        responses={200: RefundOutputSerializer, 404: ERROR, 409: ERROR, 422: ERROR},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "The whole sale",
                value={"reason": "Erreur de saisie"},
                request_only=True,
            ),
            OpenApiExample(
                "Two of three baskets, in cash",
                value={
                    "reason": "Paniers abîmés",
                    "lines": [{"line": 812, "quantity": "2"}],
                    "method": "cash",
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request, property_slug: str, order_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quantities = None
        if "lines" in data:
            quantities = {}
            for item in data["lines"]:
                quantities[item["line"]] = quantities.get(item["line"], 0) + item["quantity"]
        order = order_get(property=self.property, order_id=order_id)
        if order is None or order.ticket_id is None:
            raise NotFound(_("No such order."))

        def compute():
            credit = None
            if quantities is None and not order_refunded_in_part(order=order):
                order_refund(order=order, actor=request.user, reason=data["reason"])
            else:
                credit = order_refund_lines(
                    order=order,
                    actor=request.user,
                    reason=data["reason"],
                    quantities=quantities,
                    method=data.get("method"),
                    reference=data.get("terminal_reference", ""),
                )
            refunded = order_get(property=self.property, order_id=order_id)
            body = RefundOutputSerializer(Sale.of_order(refunded), context={"credit": credit})
            return status.HTTP_200_OK, jsonable(body.data)

        return idempotent_response(request, scope=f"pos.order.refund:{order.pk}", compute=compute)
