"""The rates and restrictions calendar under /api/v1/properties/<property_slug>/rates: read
it as the calendar screen shows it (pms.selectors.rates_calendar: what is left to sell, each
active plan's price, the restrictions, the stop-sells), and change a date range × products in
one call through the screen's services (inventory.services.rates.rates_bulk_edit,
pms.services.restrictions.restrictions_set), all or nothing."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status

from core.api import IDEMPOTENCY_PARAMETER, idempotent_response
from core.api_reads import BoundedDateField, PropertyReadApi, jsonable, query_params
from core.exceptions import InvalidInput
from inventory.models import Product, RatePlan
from inventory.services.rates import MAX_DAYS, WEEKDAYS, day_range, rates_bulk_edit
from pms.models import RoomType
from pms.selectors import rates_calendar
from pms.services.restrictions import restrictions_set

CALENDAR_MAX_DAYS = 62


class RatesCellOutput(serializers.Serializer):
    day = serializers.DateField()
    available = serializers.IntegerField(allow_null=True)
    prices = serializers.DictField(
        child=serializers.DecimalField(max_digits=12, decimal_places=2),
        help_text="The price per rate plan code.",
    )
    min_stay = serializers.IntegerField(allow_null=True)
    closed_to_arrival = serializers.BooleanField()
    closed_to_departure = serializers.BooleanField()
    stops = serializers.ListField(child=serializers.CharField(), help_text="Channels closed.")


class RatesRowOutput(serializers.Serializer):
    product = serializers.CharField()
    room_type = serializers.CharField(allow_null=True)
    kind = serializers.CharField()
    cells = RatesCellOutput(many=True)


class RatesPlanOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class RatesCalendarGridOutput(serializers.Serializer):
    start = serializers.DateField()
    days = serializers.ListField(child=serializers.DateField())
    plans = RatesPlanOutput(many=True)
    rows = RatesRowOutput(many=True)


class RatesPriceChange(serializers.Serializer):
    rate_plan = serializers.CharField(max_length=30, help_text="The rate plan's code.")
    set_price = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, default=None
    )
    percent = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("-99.99"),
        max_value=Decimal("1000"),
        required=False,
        allow_null=True,
        default=None,
    )
    amount = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, default=None
    )


class RatesRestrictionChange(serializers.Serializer):
    min_stay = serializers.IntegerField(required=False, allow_null=True, default=None)
    clear_min_stay = serializers.BooleanField(required=False, default=False)
    closed_to_arrival = serializers.BooleanField(required=False, allow_null=True, default=None)
    closed_to_departure = serializers.BooleanField(required=False, allow_null=True, default=None)


CALENDAR_EXAMPLE = {
    "start": "2026-07-01",
    "days": ["2026-07-01"],
    "plans": [{"code": "public", "name": "Tarif public"}],
    "rows": [
        {
            "product": "nuit-classique",
            "room_type": "classique",
            "kind": "night",
            "cells": [
                {
                    "day": "2026-07-01",
                    "available": 4,
                    "prices": {"public": "145.00"},
                    "min_stay": 2,
                    "closed_to_arrival": False,
                    "closed_to_departure": False,
                    "stops": [],
                }
            ],
        }
    ],
}


class RatesCalendarApi(PropertyReadApi):
    """GET: the calendar from `start` for `days` days (at most 62). POST: change prices and
    restrictions of some products over [start, end] (inclusive) on some weekdays, as the
    calendar's bulk edit does; answers how many cells changed. Capability `manage`."""

    area = "pms"
    capability = "manage"

    class FilterSerializer(serializers.Serializer):
        start = BoundedDateField()
        days = serializers.IntegerField(
            required=False, min_value=1, max_value=CALENDAR_MAX_DAYS, default=14
        )

    class InputSerializer(serializers.Serializer):
        start = BoundedDateField()
        end = BoundedDateField(help_text="The last day changed (inclusive).")
        weekdays = serializers.ListField(
            child=serializers.IntegerField(min_value=0, max_value=6),
            required=False,
            max_length=7,
            help_text="Monday 0 … Sunday 6; absent: every day.",
        )
        products = serializers.ListField(
            child=serializers.CharField(max_length=100),
            allow_empty=False,
            max_length=200,
            help_text="Product codes (room types' night products, slots, passes).",
        )
        prices = RatesPriceChange(required=False, allow_null=True, default=None)
        restrictions = RatesRestrictionChange(required=False, allow_null=True, default=None)

    class OutputSerializer(serializers.Serializer):
        changes = serializers.IntegerField(help_text="Cells (prices, restriction days) written.")

    @extend_schema(
        operation_id="pms_rates_calendar",
        parameters=[FilterSerializer],
        responses={200: RatesCalendarGridOutput},
        examples=[OpenApiExample("A day", value=CALENDAR_EXAMPLE, response_only=True)],
    )
    def get(self, request, property_slug: str):
        params = query_params(request, self.FilterSerializer)
        calendar = rates_calendar(
            property=self.property, start=params["start"], days=params["days"]
        )
        codes = [plan.code for plan in calendar.plans]
        body = {
            "start": params["start"],
            "days": calendar.days,
            "plans": [{"code": plan.code, "name": plan.name} for plan in calendar.plans],
            "rows": [
                {
                    "product": row.product.code,
                    "room_type": row.room_type.code if row.room_type else None,
                    "kind": row.pool.kind,
                    "cells": [
                        {
                            "day": cell.day,
                            "available": cell.available,
                            "prices": dict(zip(codes, cell.prices, strict=True)),
                            "min_stay": cell.min_stay,
                            "closed_to_arrival": cell.closed_to_arrival,
                            "closed_to_departure": cell.closed_to_departure,
                            "stops": cell.stops,
                        }
                        for cell in row.cells
                    ],
                }
                for row in calendar.rows
            ],
        }
        return self.read_body(request, RatesCalendarGridOutput(body).data)

    @extend_schema(
        operation_id="pms_rates_bulk_edit",
        request=InputSerializer,
        responses={200: OutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "Summer weekends: +10 % and two nights minimum",
                request_only=True,
                value={
                    "start": "2026-07-01",
                    "end": "2026-08-31",
                    "weekdays": [4, 5],
                    "products": ["nuit-classique"],
                    "prices": {"rate_plan": "public", "percent": "10"},
                    "restrictions": {"min_stay": 2},
                },
            ),
            OpenApiExample("Written", value={"changes": 36}, response_only=True),
        ],
    )
    def post(self, request, property_slug: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data

        def compute():
            return status.HTTP_200_OK, jsonable({"changes": self._apply(request, values)})

        return idempotent_response(request, scope="pms.rates.bulk", compute=compute)

    def _apply(self, request, values: dict) -> int:
        prop = self.property
        if values["end"] - values["start"] >= timedelta(days=MAX_DAYS):
            raise InvalidInput(_("Edit at most one year at a time."), extra={"field": "end"})
        selection = day_range(
            start=values["start"], end=values["end"], weekdays=values.get("weekdays") or WEEKDAYS
        )
        codes = set(values["products"])
        products = list(
            Product.objects.filter(property=prop, code__in=codes, capacity_pool__isnull=False)
            .select_related("capacity_pool")
            .order_by("pk")
        )
        unknown = sorted(codes - {p.code for p in products})
        if unknown:
            raise InvalidInput(
                _("Unknown: %(codes)s") % {"codes": ", ".join(unknown)},
                extra={"field": "products"},
            )
        prices, rules = values["prices"], values["restrictions"]
        if not prices and not rules:
            raise InvalidInput(_("Nothing to change."), extra={"field": "prices"})
        written = 0
        with transaction.atomic():
            if prices:
                plan = RatePlan.objects.filter(
                    property=prop, code=prices["rate_plan"], is_active=True
                ).first()
                if plan is None:
                    raise InvalidInput(_("Choose a rate plan."), extra={"field": "rate_plan"})
                written += rates_bulk_edit(
                    property=prop,
                    rate_plan=plan,
                    products=products,
                    selection=selection,
                    set_price=prices["set_price"],
                    percent=prices["percent"],
                    amount=prices["amount"],
                    actor=request.user,
                )
            if rules:
                room_types = list(
                    RoomType.objects.filter(property=prop, product__in=products).order_by("pk")
                )
                if len(room_types) != len(products):
                    raise InvalidInput(
                        _("Restrictions apply to room types only."), extra={"field": "products"}
                    )
                written += restrictions_set(
                    property=prop,
                    room_types=room_types,
                    selection=selection,
                    min_stay=rules["min_stay"],
                    clear_min_stay=rules["clear_min_stay"],
                    closed_to_arrival=rules["closed_to_arrival"],
                    closed_to_departure=rules["closed_to_departure"],
                    actor=request.user,
                )
        return written
