"""Cash sessions (the tills' drawers) under /api/v1/properties/<slug>/pos/cash-sessions: read
only, for the accounting and the back office of the group. A list shows what each session
recorded (closed: the blind count and its difference, frozen at closing); one session adds the
payments taken at its till by method and the cash expected, live while it is open
(pos.services.cash.cash_session_totals, as the till's drawer screen). Capability pos.cash."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers

from core.api_reads import (
    ListParams,
    PropertyReadApi,
    cursor_page,
    page_of,
    query_params,
    queryset_version,
)
from core.exceptions import NotFound
from pos.models import CashSession
from pos.services.cash import cash_session_totals, terminal_label


class CashSessionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    terminal = serializers.UUIDField(source="terminal.public_id")
    till = serializers.CharField(source="till_label")
    status = serializers.CharField(help_text="open or closed")
    business_date = serializers.DateField()
    opening_float = serializers.DecimalField(max_digits=12, decimal_places=2)
    opened_by = serializers.CharField(source="opened_by.username")
    opened_at = serializers.DateTimeField()
    closed_by = serializers.CharField(source="closed_by.username", allow_null=True, default=None)
    closed_at = serializers.DateTimeField(allow_null=True)
    counted_cash = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    expected_cash = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    difference = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class CashSessionDetailOutputSerializer(CashSessionOutputSerializer):
    totals = serializers.JSONField(help_text="By method, movements and the cash expected.")
    counts = serializers.JSONField(help_text="The blind count per method (closed sessions).")


SESSION_EXAMPLE = {
    "id": 41,
    "terminal": "6f1d3c2e-7a4b-4c59-9e0d-2b8f5a1c7e90",
    "till": "Bar de la Piscine · Caisse 1",
    "status": "closed",
    "business_date": "2026-06-01",
    "opening_float": "150.00",
    "opened_by": "camille",
    "opened_at": "2026-06-01T08:58:00Z",
    "closed_by": "camille",
    "closed_at": "2026-06-01T23:12:00Z",
    "counted_cash": "612.40",
    "expected_cash": "612.50",
    "difference": "-0.10",
}


def _sessions(property):
    return CashSession.objects.filter(property=property).select_related(
        "terminal__outlet", "opened_by", "closed_by"
    )


def _labelled(rows: list[CashSession]) -> list[CashSession]:
    for session in rows:
        session.till_label = terminal_label(session.terminal)
    return rows


class CashSessionListApi(PropertyReadApi):
    """The cash sessions, newest first, optionally of one business date or status."""

    capability = "pos.cash"

    class FilterSerializer(ListParams):
        business_date = serializers.DateField(required=False)
        status = serializers.ChoiceField(
            choices=CashSession.Status.values, required=False, help_text="open or closed"
        )

    @extend_schema(
        operation_id="pos_cash_session_list",
        parameters=[FilterSerializer],
        responses={200: page_of(CashSessionOutputSerializer, "PosCashSessionPage")},
        examples=[
            OpenApiExample(
                "A page", response_only=True, value={"results": [SESSION_EXAMPLE], "next": None}
            )
        ],
    )
    def get(self, request, property_slug: str):
        params = query_params(request, self.FilterSerializer)
        sessions = _sessions(self.property)
        for name in ("business_date", "status"):
            if name in params:
                sessions = sessions.filter(**{name: params[name]})
        return self.read(
            request,
            version=queryset_version(sessions),
            build=lambda: cursor_page(
                sessions,
                params=params,
                keys=("-opened_at", "-pk"),
                serialize=lambda rows: CashSessionOutputSerializer(_labelled(rows), many=True).data,
            ),
        )


class CashSessionDetailApi(PropertyReadApi):
    """One cash session with its totals by method and movements (live while open)."""

    capability = "pos.cash"

    @extend_schema(
        operation_id="pos_cash_session_detail",
        responses={200: CashSessionDetailOutputSerializer},
        examples=[
            OpenApiExample(
                "A closed drawer",
                response_only=True,
                value={
                    **SESSION_EXAMPLE,
                    "totals": {"by_method": {"cash": {"total": "462.50", "count": 31}}},
                    "counts": {},
                },
            )
        ],
    )
    def get(self, request, property_slug: str, session_id: int):
        session = _sessions(self.property).filter(pk=session_id).first()
        if session is None:
            raise NotFound()
        _labelled([session])
        if session.status == CashSession.Status.OPEN:
            session.totals = cash_session_totals(session=session)
        return self.read_body(request, CashSessionDetailOutputSerializer(session).data)
