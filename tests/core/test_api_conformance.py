"""The API answers what its OpenAPI schema says, for generated input (schemathesis).

Every operation of the schema is called with generated requests through Django's WSGI
application, by an administrator's token (a role that may use every operation), on its own
property. Each answer must have a documented status code and content type, a body that
matches the documented schema, and never a 5xx. The path parameters and the sale's
terminal point at real rows of the property, and the request bodies carry one valid example,
so the success answers are checked as well as the refusals.

The run is bounded (a fixed number of examples per operation, a fixed seed): see
docs/api.md to run it longer against a live server.
"""

import json
import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from billing.services.folios import ChargeInput, folio_post_charges
from billing.services.invoices import invoice_issue
from core.models import Role
from crm.models import Guest
from inventory import demo as inventory_demo
from inventory.models import Category
from pos.models import Terminal
from pos.services.cash import cash_session_open
from tests.factories.core import PropertyFactory, make_staff
from tests.factories.pos import make_terminal
from tests.factories.stays import make_stay
from tests.webhooks.factories import make_subscription

D = Decimal
SLUG = "conformite-api"
# bounded for the suite; API_FUZZ_EXAMPLES=200 for a longer run (docs/api.md)
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def openapi_schema() -> dict:
    """The schema exactly as /api/schema/ serves it (generated here: no request, no auth)."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw))


TERMINAL = "6f1d3c2e-7a4b-4c59-9e0d-2b8f5a1c7e90"
# one valid body per write (the examples phase sends them; the rest is generated)
ARRIVAL = date.today() + timedelta(days=30)
EXAMPLES = {
    "OrderCheckoutInputRequest": {
        "terminal": TERMINAL,
        "lines": [{"product": "spritz", "quantity": "2"}],
        "tenders": [{"method": "cash", "amount": "22.00", "tendered": "30.00"}],
    },
    "QuoteInputRequest": {"channel": "pos", "lines": [{"product": "spritz"}]},
    "ReservationCreatePmsReservationCreateInputRequest": {
        "guest": {"first_name": "Zoé", "last_name": "Martin"},
        "arrival": ARRIVAL.isoformat(),
        "departure": (ARRIVAL + timedelta(days=2)).isoformat(),
        "rooms": [{"room_type": "classique", "adults": 2}],
    },
    "OrderRefundInputRequest": {"reason": "Erreur de saisie"},
    "WebhookListInputRequest": {
        "url": "https://hooks.example.com/auberge",
        "events": ["order.paid"],
    },
    "CreditNoteIssueBillingCreditNoteIssueInputRequest": {"reason": "Geste commercial"},
}


# the rows the documented examples name (crm.api's merge example, …)
GUEST = "0b8f3c8e-4d1a-4a57-9a55-2f3c7e1d9b20"
DUPLICATE = "5c1e9a0e-2b7d-4f38-8a61-0d4b9e2f7c13"


def _pin(schema: dict) -> dict:
    """Keep the generated requests on the test property (any other slug is a 404) and give
    the writes one valid example body each: those of EXAMPLES, else the operation's first
    documented request example (`OpenApiExample(request_only=True)`)."""
    components = schema["components"]["schemas"]
    for item in schema["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "property_slug":
                    parameter["schema"] = {"type": "string", "enum": [SLUG]}
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body and body.get("examples") and "$ref" in body["schema"]:
                name = body["schema"]["$ref"].rsplit("/", 1)[-1]
                first = next(iter(body["examples"].values()))["value"]
                components[name].setdefault("example", first)
    for name, example in EXAMPLES.items():
        components[name]["example"] = example
    return schema


def _path_values(path: str, stage: dict) -> dict:
    """The rows of the test property each path parameter names (generated ids: only 404s)."""
    public_id = stage["invoice"] if "/invoices/" in path else stage["folio"]
    if "/guests/" in path:
        public_id = GUEST
    return {
        "number": "12",
        "code": "spritz",
        "category_id": stage["category_id"],
        "session_id": stage["session_id"],
        "reference": stage["reference"],
        "order_id": stage["order_id"],
        "public_id": public_id,
        "subscription_id": stage["subscription_id"],
        "message_id": stage["message_id"],
    }


@pytest.fixture
def wsgi_keeps_the_test_transaction():
    """Called as a WSGI app, Django closes the connection at each request's start and end
    (`close_old_connections`), which would end the test's transaction: disconnected as the
    test client does (after `stage`, whose test client connects it back when done)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def stage(db):
    hotel = PropertyFactory(name="Hôtel Conformité", slug=SLUG)
    inventory_demo.seed({"property": hotel})
    stay = make_stay(hotel, room_number="12")
    reservation = stay.reservation
    folio = reservation.folio
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput(
                "Chambre", D("1"), D("110"), D("110"), D("10"), "accommodation", source="n"
            ),
            ChargeInput("Bière", D("1"), D("6"), D("6"), D("20"), "alcohol", source="b"),
        ],
    )
    invoice = invoice_issue(folio=folio, actor=None, lines=[folio.lines.get(source="n")])
    terminal = make_terminal(hotel, outlet_code="bar-piscine", outlet_name="Bar de la Piscine")
    Terminal.objects.filter(pk=terminal.pk).update(public_id=TERMINAL)
    admin = make_staff(hotel, Role.ADMIN, username="conformance-admin")
    token = Token.objects.create(user=admin)
    stage = {
        "token": token.key,
        "reference": reservation.reference,
        "folio": str(folio.public_id),
        "invoice": str(invoice.public_id),
    }
    sale = Client(HTTP_AUTHORIZATION=f"Token {token.key}").post(
        f"/api/v1/properties/{SLUG}/pos/orders",
        {"terminal": TERMINAL, "lines": [{"product": "spritz"}]}
        | {"tenders": [{"method": "cash", "amount": "11.00", "tendered": "20.00"}]},
        content_type="application/json",
    )
    assert sale.status_code == 201, sale.json()
    stage["order_id"] = sale.json()["order"]
    Guest.objects.filter(pk=reservation.guest_id).update(public_id=GUEST)
    Guest.objects.create(organization=hotel.organization, last_name="Martin", public_id=DUPLICATE)
    stage["category_id"] = Category.objects.filter(property=hotel).first().pk
    stage["session_id"] = cash_session_open(
        terminal=terminal, actor=admin, opening_float=D("150")
    ).pk
    subscription, delivery = make_subscription(hotel)
    stage["subscription_id"] = str(subscription.public_id)
    stage["message_id"] = delivery.message_id
    return stage


SCHEMA = schemathesis.openapi.from_dict(_pin(openapi_schema()))
SCHEMA.app = get_wsgi_application()


@SCHEMA.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, stage, wsgi_keeps_the_test_transaction):
    if case.path_parameters:
        wanted = _path_values(case.operation.path, stage)
        case.path_parameters = {
            name: wanted.get(name, value) for name, value in case.path_parameters.items()
        }
    case.call_and_validate(
        headers={"Authorization": f"Token {stage['token']}", "Accept-Language": "en"},
        checks=CHECKS,
    )


def test_the_schema_documents_errors_and_constraints():
    """The defects the fuzzer found, named: each would let a client be wrong about the API."""
    schema = openapi_schema()
    components = schema["components"]["schemas"]
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    for path, method, operation in operations:
        if "{property_slug}" in path:
            assert {"401", "403", "404"} <= set(operation["responses"]), (method, path)
        if method in ("post", "patch"):
            assert "422" in operation["responses"], (method, path)
    assert components["OrderOutput"]["properties"]["change"]["type"] == "string"
    assert components["ProductListOutput"]["properties"]["capacity"]["nullable"] is True
    assert components["OrderCheckoutInputRequest"]["properties"]["lines"]["minItems"] == 1
    assert (
        components["ReservationCreatePmsReservationCreateInputRequest"]["properties"]["rooms"][
            "minItems"
        ]
        == 1
    )
    assert components["PmsReservationCreateGuestInputRequest"]["required"] == ["last_name"]
    assert components["PmsReservationCreateGuestInputRequest"]["properties"]["last_name"][
        "minLength"
    ] == (1)
    assert components["OrderRefundInputRequest"]["properties"]["reason"]["minLength"] == 1
    availability = schema["paths"]["/api/v1/properties/{property_slug}/availability"]["get"]
    required = {p["name"] for p in availability["parameters"] if p.get("required")}
    assert {"start", "end"} <= required


@pytest.mark.django_db
def test_an_unknown_api_path_answers_the_error_envelope(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "extra": {}}


def test_a_request_django_refuses_answers_the_error_envelope(client, hotel, manager):
    # more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: refused by Django itself, as JSON
    token = Token.objects.create(user=manager)
    response = client.post(
        f"/api/v1/properties/{hotel.slug}/quote",
        "&".join(f"f{i}=1" for i in range(1500)),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 400
    assert response.json() == {"code": "bad_request", "message": "Bad request.", "extra": {}}


# the operations of the API's completeness (issue 27): each documents its examples
DOCUMENTED_WITH_EXAMPLES = {
    "crm_guest_list",
    "crm_guest_create",
    "crm_guest_detail",
    "crm_guest_update",
    "crm_guest_merge",
    "crm_guest_export",
    "crm_guest_erase",
    "pms_room_type_list",
    "pms_room_list",
    "pms_room_detail",
    "pms_room_housekeeping_set",
    "pms_stay_list",
    "pms_rates_calendar",
    "pms_rates_bulk_edit",
    "billing_folio_charge_post",
    "inventory_category_list",
    "inventory_category_create",
    "inventory_category_detail",
    "inventory_category_update",
    "inventory_catalogue_product_list",
    "inventory_catalogue_product_create",
    "inventory_catalogue_product_detail",
    "inventory_catalogue_product_update",
    "pos_cash_session_list",
    "pos_cash_session_detail",
    "reporting_kpis",
}


def test_the_schema_is_valid_openapi_and_the_new_operations_have_examples():
    schema = openapi_schema()
    validate(schema)  # openapi-spec-validator: raises on any violation of OpenAPI 3
    operations = {
        operation["operationId"]: (method, operation)
        for item in schema["paths"].values()
        for method, operation in item.items()
    }
    assert DOCUMENTED_WITH_EXAMPLES <= set(operations)
    for operation_id in DOCUMENTED_WITH_EXAMPLES:
        method, operation = operations[operation_id]
        if method in ("post", "patch", "put"):
            content = operation["requestBody"]["content"]["application/json"]
            assert content.get("examples"), operation_id
        success = next(c for c in ("200", "201") if c in operation["responses"])
        assert operation["responses"][success]["content"]["application/json"]["examples"], (
            operation_id
        )
        if method == "get":
            assert "304" in operation["responses"], operation_id
            assert any(p["name"] == "If-None-Match" for p in operation["parameters"])
