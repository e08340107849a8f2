"""Catalog, availability and quote endpoints: the same numbers every channel sees."""

from datetime import timedelta

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api import PropertyScopedApi
from core.api_reads import ListParams, cursor_page, page_of, query_params
from inventory.models import Channel, Product
from inventory.selectors import pools_availability_grid, products_for_property
from inventory.services.pricing import QuoteLineInput, quote


class QuoteLineSerializer(serializers.Serializer):
    """A line to price or sell: the product by code (or id), options, quantity and dates."""

    product = serializers.CharField(help_text=gettext_lazy("Product code or id"))
    variant = serializers.IntegerField(required=False, allow_null=True)
    modifiers = serializers.ListField(child=serializers.IntegerField(), required=False)
    quantity = serializers.DecimalField(
        max_digits=10, decimal_places=3, required=False, default="1"
    )
    start = serializers.DateField(required=False, allow_null=True)
    end = serializers.DateField(required=False, allow_null=True)
    slot_time = serializers.TimeField(required=False, allow_null=True)


def line_inputs(
    *, property, lines: list[dict], price_overrides: bool = False
) -> list[QuoteLineInput]:
    """Turn validated line dicts into QuoteLineInputs, resolving product codes in the property
    (unknown codes keep an impossible id so quote() reports them in one clear error)."""
    refs = {str(line["product"]) for line in lines}
    by_code = dict(
        Product.objects.filter(property=property, code__in=refs).values_list("code", "pk")
    )
    out = []
    for line in lines:
        ref = str(line["product"])
        product_id = by_code.get(ref) or (int(ref) if ref.isdigit() else -1)
        out.append(
            QuoteLineInput(
                product_id=product_id,
                quantity=line.get("quantity") or 1,
                variant_id=line.get("variant"),
                modifier_ids=tuple(line.get("modifiers") or ()),
                start=line.get("start"),
                end=line.get("end"),
                slot_time=line.get("slot_time"),
                unit_price_override=line.get("unit_price") if price_overrides else None,
            )
        )
    return out


class QuotedLineSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=10, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    vat_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    revenue_category = serializers.CharField()
    applied_rule = serializers.CharField()


class VatRowSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    net = serializers.DecimalField(max_digits=14, decimal_places=2)
    vat = serializers.DecimalField(max_digits=14, decimal_places=2)
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)


def vat_rows(vat_by_rate: dict) -> list[dict]:
    return [{"rate": rate, **row} for rate, row in vat_by_rate.items()]


class QuoteApi(PropertyScopedApi):
    """Price lines exactly as a sale on `channel` would (nothing is reserved)."""

    class InputSerializer(serializers.Serializer):
        channel = serializers.ChoiceField(choices=Channel.choices)
        lines = QuoteLineSerializer(many=True, allow_empty=False)
        booking_date = serializers.DateField(required=False)

    class OutputSerializer(serializers.Serializer):
        currency = serializers.CharField()
        total = serializers.DecimalField(max_digits=14, decimal_places=2)
        vat = VatRowSerializer(many=True)
        lines = QuotedLineSerializer(many=True)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request, property_slug):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = quote(
            property=self.property,
            channel=data.validated_data["channel"],
            lines=line_inputs(property=self.property, lines=data.validated_data["lines"]),
            booking_date=data.validated_data.get("booking_date"),
        )
        return Response(
            self.OutputSerializer(
                {
                    "currency": result.currency,
                    "total": result.total,
                    "vat": vat_rows(result.vat_by_rate),
                    "lines": result.lines,
                }
            ).data
        )


class ProductListApi(PropertyScopedApi):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        name = serializers.CharField()
        category = serializers.CharField(source="category.name", default="")
        price = serializers.DecimalField(max_digits=14, decimal_places=2)
        vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
        revenue_category = serializers.CharField()
        ean13 = serializers.CharField()
        # the kind of stock it sells from (nights, slots, …); null: not counted
        capacity = serializers.CharField(source="capacity_pool.kind", default=None, allow_null=True)

    @extend_schema(parameters=[ListParams], responses=page_of(OutputSerializer, "ProductListPage"))
    def get(self, request, property_slug):
        """The property's active products, by code, a page at a time (`docs/api.md`)."""
        params = query_params(request, ListParams)
        page = cursor_page(
            products_for_property(property=self.property),
            params=params,
            keys=("code", "pk"),
            serialize=lambda rows: self.OutputSerializer(rows, many=True).data,
        )
        return Response(page)


class ProductAvailabilitySerializer(serializers.Serializer):
    product = serializers.CharField()
    capacity = serializers.CharField(allow_null=True)
    # units left per slot time ("HH:MM", or "day"), one integer per day from `start`; absent
    # when the product is not counted
    available = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()), required=False
    )


class ProductAvailabilityApi(PropertyScopedApi):
    """Units left per product for a channel, per day (and slot) over [start, end)."""

    class FilterSerializer(serializers.Serializer):
        products = serializers.CharField(help_text=gettext_lazy("Comma-separated product codes"))
        start = serializers.DateField()
        end = serializers.DateField(required=False)
        channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)

        def validate(self, attrs):
            attrs.setdefault("end", attrs["start"] + timedelta(days=1))
            if attrs["end"] <= attrs["start"]:
                raise serializers.ValidationError(_("The end date must be after the start."))
            if (attrs["end"] - attrs["start"]).days > 366:
                raise serializers.ValidationError(_("At most 366 days at once."))
            return attrs

    class OutputSerializer(serializers.Serializer):
        channel = serializers.CharField()
        start = serializers.DateField()
        end = serializers.DateField()
        products = ProductAvailabilitySerializer(many=True)

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer)
    def get(self, request, property_slug):
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        codes = [c for c in params.validated_data["products"].split(",") if c]
        products = sorted(
            products_for_property(property=self.property).filter(code__in=codes),
            key=lambda p: codes.index(p.code),
        )
        unknown = sorted(set(codes) - {p.code for p in products})
        if unknown:
            raise serializers.ValidationError(
                {"products": _("Unknown: %(codes)s") % {"codes": ", ".join(unknown)}}
            )
        grids = pools_availability_grid(
            property=self.property,
            pool_ids=[p.capacity_pool_id for p in products if p.capacity_pool_id],
            start=params.validated_data["start"],
            end=params.validated_data["end"],
            channel=params.validated_data["channel"],
        )
        body = {
            "channel": params.validated_data["channel"],
            "start": params.validated_data["start"].isoformat(),
            "end": params.validated_data["end"].isoformat(),
            "products": [],
        }
        for p in products:
            grid = grids.get(p.capacity_pool_id)
            entry = {"product": p.code, "capacity": grid.pool.kind if grid else None}
            if grid is not None:
                # one array per slot time ("day" for nights, passes and stock), one integer per
                # day from `start`: compact on purpose, a year of 50 products is polled often
                entry["available"] = {
                    (slot.strftime("%H:%M") if slot else "day"): values
                    for slot, values in grid.available.items()
                }
            body["products"].append(entry)
        return JsonResponse(body)
