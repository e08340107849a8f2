"""The manager's KPIs through the API: GET /api/v1/properties/<slug>/reports/kpis?start&end,
the figures of the dashboard (reporting.selectors.dashboard) for one property over a period of
business dates, both ends included, refreshed as the dashboard refreshes them. Reporting sits
above every app: it imports them, none imports it. Capability `manage`, area `reporting`."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers

from core.api_reads import BoundedDateField, PropertyReadApi, query_params
from reporting.facts import facts_refresh
from reporting.periods import MAX_DAYS, Period
from reporting.routers import replica_reads
from reporting.selectors import dashboard
from reporting.views import FACTS_MAX_AGE

_KPI = {"max_digits": 14, "decimal_places": 2, "allow_null": True}


class KpisOutputSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    rooms_in_service = serializers.IntegerField()
    room_nights_available = serializers.IntegerField()
    out_of_order_nights = serializers.IntegerField()
    room_nights_sold = serializers.DecimalField(max_digits=12, decimal_places=2)
    room_revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    occupancy = serializers.DecimalField(**_KPI, help_text="Percent of the nights available.")
    adr = serializers.DecimalField(**_KPI, help_text="Room revenue per night sold (net).")
    revpar = serializers.DecimalField(**_KPI, help_text="Room revenue per night available.")
    trevpar = serializers.DecimalField(**_KPI, help_text="All revenue per night available.")
    alos = serializers.DecimalField(**_KPI, help_text="Average length of stay (nights).")
    stays_departed = serializers.IntegerField()
    cancellations = serializers.IntegerField()
    no_shows = serializers.IntegerField()
    otb_30 = serializers.DecimalField(**_KPI, help_text="On the books, next 30 days (%).")
    otb_90 = serializers.DecimalField(**_KPI, help_text="On the books, next 90 days (%).")
    pickup = serializers.IntegerField()
    total_revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    covers = serializers.IntegerField()
    restaurant_revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    average_per_cover = serializers.DecimalField(**_KPI)
    upsell_rate = serializers.DecimalField(**_KPI)
    extra_revenue_per_stay = serializers.DecimalField(**_KPI)
    by_day = serializers.ListField(child=serializers.DictField(), help_text="One row per day.")
    channels = serializers.ListField(child=serializers.DictField())
    departments = serializers.ListField(child=serializers.DictField())


class KpisApi(PropertyReadApi):
    """The dashboard's KPIs for [start, end] (business dates, at most three years)."""

    capability = "manage"

    class FilterSerializer(serializers.Serializer):
        start = BoundedDateField()
        end = BoundedDateField()

        def validate(self, attrs):
            if attrs["end"] < attrs["start"]:
                raise serializers.ValidationError(
                    {"end": [_("The last day comes before the first.")]}
                )
            if (attrs["end"] - attrs["start"]).days + 1 > MAX_DAYS:
                raise serializers.ValidationError(
                    {"end": [_("Choose a period of three years at most.")]}
                )
            return attrs

    @extend_schema(
        operation_id="reporting_kpis",
        parameters=[FilterSerializer],
        responses={200: KpisOutputSerializer},
        examples=[
            OpenApiExample(
                "June",
                response_only=True,
                value={
                    "start": "2026-06-01",
                    "end": "2026-06-30",
                    "rooms_in_service": 24,
                    "room_nights_available": 720,
                    "out_of_order_nights": 0,
                    "room_nights_sold": "583.00",
                    "room_revenue": "75790.00",
                    "occupancy": "80.97",
                    "adr": "130.00",
                    "revpar": "105.26",
                    "trevpar": "151.40",
                    "alos": "2.60",
                    "stays_departed": 224,
                    "cancellations": 12,
                    "no_shows": 2,
                    "otb_30": "64.20",
                    "otb_90": "38.10",
                    "pickup": 41,
                    "total_revenue": "109008.00",
                    "covers": 1830,
                    "restaurant_revenue": "52460.00",
                    "average_per_cover": "28.67",
                    "upsell_rate": "18.30",
                    "extra_revenue_per_stay": "42.10",
                    "by_day": [],
                    "channels": [],
                    "departments": [],
                },
            )
        ],
    )
    def get(self, request, property_slug: str):
        params = query_params(request, self.FilterSerializer)
        period = Period(params["start"], params["end"])
        facts_refresh(property=self.property, max_age=FACTS_MAX_AGE)
        with replica_reads():
            kpis = dashboard(
                properties=[self.property], period=period, today=self.property.business_date()
            )
        body = {
            name: getattr(kpis, name)
            for name in KpisOutputSerializer().fields
            if name not in ("start", "end")
        }
        body |= {"start": period.start, "end": period.end}
        return self.read_body(request, KpisOutputSerializer(body).data)
