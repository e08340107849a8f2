"""POS API: the one-transaction sale and its refund (relative to
/api/v1/properties/<property_slug>/). Thin: parse, resolve inside the property, call the
service, serialise. Domain errors are mapped once by core.api.exception_handler."""

import hashlib
from decimal import Context, Decimal, InvalidOperation
from uuid import UUID

from django.http import HttpResponse
from django.utils.dateparse import parse_date, parse_time
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
from core.api import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_PARAMETER,
    PropertyScopedApi,
    idempotent_call,
    idempotent_response,
)
from core.api_reads import ConditionalReads, jsonable
from core.exceptions import InvalidInput, NotFound, PermissionDenied
from core.fast_api import MISSING as _MISSING
from core.fast_api import fast_view, render_json
from core.fast_api import text as _text
from core.roles import role_has
from core.schema import ErrorSerializer
from core.staff import outlet_allowed
from inventory.models import Product, SaleChannel
from inventory.selectors import products_by_reference
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


_CENTS = Decimal("0.01")
_MILLIS = Decimal("0.001")


def _money(value) -> str | None:
    """A DecimalField(14, 2) as DRF writes it (COERCE_DECIMAL_TO_STRING)."""
    if value is None:
        return None
    return f"{_quantize(value, _CENTS, 14):f}"


def _quantize(value, exponent: Decimal, digits: int) -> Decimal:
    if not isinstance(value, Decimal):
        value = Decimal(str(value).strip())
    return value.quantize(exponent, context=Context(prec=digits))


def _day(value) -> str | None:
    return value if value is None or isinstance(value, str) else value.isoformat()


def sale_payload(sale: Sale) -> dict:
    """What OrderOutputSerializer writes for `sale`, built directly (the checkout's answer:
    the serializer costs over a millisecond a sale; tests compare the two)."""
    order = sale.order
    ticket = order.ticket
    change = sum((p.change for p in sale.payments), Decimal("0.00"))
    return {
        "order": order.pk,
        "status": str(order.status),
        "ticket": str(ticket.public_id),
        "ticket_number": ticket.number,
        "business_date": _day(ticket.business_date),
        "outlet": str(ticket.outlet),
        "terminal": str(ticket.terminal),
        "currency": str(ticket.currency),
        "total": _money(ticket.total),
        "total_vat": _money(ticket.total_vat),
        "change": _money(change),
        "vat": [
            {
                "rate": f"{_quantize(v.rate, _CENTS, 5):f}",
                "net": _money(v.net),
                "vat": _money(v.vat),
                "gross": _money(v.gross),
            }
            for v in sale.vat_lines
        ],
        "lines": [
            {
                "description": str(line.description),
                "product": line.product_id,
                "quantity": f"{_quantize(line.quantity, _MILLIS, 10):f}",
                "unit_price": _money(line.unit_price),
                "total": _money(line.total),
                "vat_rate": f"{_quantize(line.vat_rate, _CENTS, 5):f}",
                "vat_amount": _money(line.vat_amount),
                "net": _money(line.net),
                "revenue_category": str(line.revenue_category),
                "applied_rule": str(line.applied_rule),
                "service_date": _day(line.service_date),
            }
            for line in sale.lines
        ],
        "payments": [
            {
                "method": str(p.method),
                "amount": _money(p.amount),
                "tendered": _money(p.tendered),
                "change": _money(p.change),
                "terminal_reference": str(p.terminal_reference),
            }
            for p in sale.payments
        ],
        "folio": str(ticket.folio.public_id) if ticket.folio else None,
        "reservation": order.reservation.reference if order.reservation_id else None,
    }


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
        serializer = self.InputSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return checkout_answer(
            property=self.property,
            membership=self.membership,
            user=self.request.user,
            data=serializer.validated_data,
            key=self.request.META.get("HTTP_IDEMPOTENCY_KEY"),
        )


def checkout_answer(*, property, membership, user, data: dict, key: str | None) -> tuple[int, dict]:
    """The sale of a validated checkout body (InputSerializer's validated data, or
    checkout_parse's): (201, the sale as OrderOutputSerializer writes it)."""
    prop = property
    terminal = terminal_get(property=prop, public_id=data["terminal"])
    if terminal is None:
        raise NotFound(_("No such terminal."))
    if not outlet_allowed(membership, terminal.outlet_id):
        raise PermissionDenied(
            _("You have no rights at %(outlet)s.") % {"outlet": terminal.outlet.name}
        )
    reservation = None
    if data.get("reservation"):
        reservation = reservation_by_reference(property=prop, reference=data["reservation"])
        if reservation is None:
            raise NotFound(_("No such reservation."))
    may_override = role_has(membership.role, "pos.price_override")
    if not may_override and any(line.get("unit_price") is not None for line in data["lines"]):
        raise PermissionDenied(_("You are not allowed to change prices."))
    key = key or data.get("client_key")
    lines, products = _resolve_lines(prop, data["lines"])
    sale = sale_checkout(
        SaleRequest(
            property=prop,
            terminal=terminal,
            actor=user,
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
            channel=SaleChannel.COUNTER,
        )
    )
    if sale.replayed:  # the first sale's rows, read back (a new sale answers from its own)
        sale = Sale.of_order(order_get(property=prop, order_id=sale.order.pk))
    return status.HTTP_201_CREATED, sale_payload(sale)


def _resolve_lines(prop, lines: list[dict]) -> tuple[list[QuoteLineInput], dict[int, Product]]:
    """Resolve product codes or ids inside the property (the worker's copy of the
    catalogue under its token, inventory.catalog_cache; the quote then uses them)."""
    refs = {str(line["product"]).strip() for line in lines}
    by_code, by_id = products_by_reference(property=prop, refs=refs)
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


# --- the checkout without DRF (core.fast_api): a body InputSerializer would accept, and
# validated to the same values; anything else (None) goes to the DRF view, which answers


def _decimal(value, digits: int, places: int) -> Decimal | None:
    """DRF's DecimalField(max_digits=digits, decimal_places=places) input; None: refused."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    if not text or len(text) > 1000:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    _sign, digit_tuple, exponent = number.as_tuple()
    if exponent >= 0:
        total, whole, decimals = len(digit_tuple) + exponent, len(digit_tuple) + exponent, 0
    elif len(digit_tuple) > -exponent:
        total, whole, decimals = len(digit_tuple), len(digit_tuple) + exponent, -exponent
    else:
        total, whole, decimals = -exponent, 0, -exponent
    if total > digits or decimals > places or whole > digits - places:
        return None
    return number.quantize(Decimal(1).scaleb(-places), context=Context(prec=digits))


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else _MISSING


def _line(raw) -> dict | None:
    if not isinstance(raw, dict) or "product" not in raw:
        return None
    product = raw["product"]
    if isinstance(product, int) and not isinstance(product, bool):
        product = str(product)
    product = _text(product, 50)
    if product is _MISSING:
        return None
    line: dict = {"product": product}
    if "variant" in raw:
        variant = raw["variant"]
        if variant is not None and _int(variant) is _MISSING:
            return None
        line["variant"] = variant
    modifiers = raw.get("modifiers", [])
    if not isinstance(modifiers, list) or len(modifiers) > 20:
        return None
    if any(_int(m) is _MISSING for m in modifiers):
        return None
    line["modifiers"] = modifiers
    quantity = _decimal(raw["quantity"], 10, 3) if "quantity" in raw else Decimal("1")
    if quantity is None:
        return None
    line["quantity"] = quantity
    for name, parser in (("day", parse_date), ("slot_time", parse_time)):
        if name in raw:
            value = raw[name]
            if value is not None:
                if not isinstance(value, str):
                    return None
                try:
                    value = parser(value)
                except ValueError:
                    return None
                if value is None:
                    return None
            line[name] = value
    if "unit_price" in raw:
        price = raw["unit_price"]
        if price is not None and (price := _decimal(price, 12, 2)) is None:
            return None
        line["unit_price"] = price
    return line


_METHODS = frozenset(Payment.Method.values)


def _tender(raw) -> dict | None:
    if not isinstance(raw, dict) or "amount" not in raw:
        return None
    if not isinstance(raw.get("method"), str) or raw["method"] not in _METHODS:
        return None
    amount = _decimal(raw["amount"], 12, 2)
    if amount is None:
        return None
    tender: dict = {"method": raw["method"], "amount": amount}
    if "tendered" in raw:
        tendered = raw["tendered"]
        if tendered is not None and (tendered := _decimal(tendered, 12, 2)) is None:
            return None
        tender["tendered"] = tendered
    reference = _text(raw.get("terminal_reference", ""), 100, blank=True)
    if reference is _MISSING:
        return None
    tender["terminal_reference"] = reference
    return tender


def checkout_parse(raw) -> dict | None:
    """OrderCheckoutApi.InputSerializer's validated data for a body it accepts, in plain
    Python; None for anything else (the DRF view then answers, with its own 422)."""
    if not isinstance(raw, dict):
        return None
    terminal, lines, tenders = raw.get("terminal"), raw.get("lines"), raw.get("tenders", [])
    if (
        not isinstance(terminal, str)
        or not isinstance(lines, list)
        or not isinstance(tenders, list)
    ):
        return None
    if not lines or len(lines) > 500 or len(tenders) > 10:
        return None
    try:
        terminal = UUID(terminal)
    except ValueError:
        return None
    data: dict = {"terminal": terminal, "lines": [], "tenders": []}
    for item in lines:
        if (line := _line(item)) is None:
            return None
        data["lines"].append(line)
    for item in tenders:
        if (tender := _tender(item)) is None:
            return None
        data["tenders"].append(tender)
    for name, max_length in (("room_number", 10), ("reservation", 20), ("client_key", 200)):
        if name in raw:
            value = _text(raw[name], max_length, blank=True, null=True)
            if value is _MISSING:
                return None
            data[name] = value
    print_receipt = raw.get("print_receipt", False)
    if not isinstance(print_receipt, bool):
        return None
    data["print_receipt"] = print_receipt
    return data


def _checkout_fast(request, caller, data: dict, raw) -> HttpResponse:
    def compute() -> tuple[int, dict]:
        return checkout_answer(
            property=caller.property,
            membership=caller.membership,
            user=caller.user,
            data=data,
            key=request.META.get(IDEMPOTENCY_HEADER),
        )

    code, body, replayed = idempotent_call(
        key=request.META.get(IDEMPOTENCY_HEADER, "").strip(),
        data=raw,
        user_id=caller.user.pk,
        scope="pos.order.checkout",
        compute=compute,
    )
    return render_json(code, body, {"Idempotent-Replayed": "true"} if replayed else None)


def order_checkout_view():
    """The route's view: OrderCheckoutApi, a token terminal's common sale answered without
    DRF (core.fast_api)."""
    return fast_view(
        OrderCheckoutApi.as_view(),
        capability=OrderCheckoutApi.capability,
        parse=checkout_parse,
        answer=_checkout_fast,
    )


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
