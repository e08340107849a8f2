"""Every API route, called by every role (and anonymously): who may call it, and which fields
come back, against one rights table. A route added without a row here fails the test."""

from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from billing.services.folios import ChargeInput, folio_post_charges
from billing.services.invoices import invoice_issue
from core.models import Role
from core.roles import role_has
from crm.models import Guest
from inventory.models import Category
from pos.services.cash import cash_session_open
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal
from tests.factories.stays import make_stay
from tests.webhooks.factories import make_subscription

pytestmark = pytest.mark.django_db
D = Decimal

# (route name, method) -> the capability it needs (None: any signed-in caller)
ROUTE_RIGHTS = {
    ("api-me", "GET"): None,
    ("api-products", "GET"): "api.use",
    ("api-product-availability", "GET"): "api.use",
    ("api-quote", "POST"): "api.use",
    ("api-pms-availability", "GET"): "api.use",
    ("api-pms-reservation-create", "POST"): "pms.frontdesk",
    ("api-pms-reservation-detail", "GET"): "api.use",
    ("api-pms-reservation-detail", "PATCH"): "pms.frontdesk",
    ("api-pms-reservation-cancel", "POST"): "pms.frontdesk",
    ("api-pms-reservation-check-in", "POST"): "pms.frontdesk",
    ("api-pms-reservation-check-out", "POST"): "pms.frontdesk",
    ("api-billing-folio-detail", "GET"): "billing.read",
    ("api-billing-invoice-issue", "POST"): "billing.read",
    ("api-billing-invoice-detail", "GET"): "billing.read",
    ("api-billing-credit-note-issue", "POST"): "billing.accounting",
    ("api-pos-order-checkout", "POST"): "pos.sell",
    ("api-pos-order-detail", "GET"): "pos.sell",
    ("api-pos-order-refund", "POST"): "pos.approve",
    ("api-webhooks", "GET"): "manage",
    ("api-webhooks", "POST"): "manage",
    ("api-webhook-deliveries", "GET"): "manage",
    ("api-webhook-resend", "POST"): "manage",
    ("api-webhook-detail", "GET"): "manage",
    ("api-webhook-detail", "PATCH"): "manage",
    ("api-webhook-detail", "DELETE"): "manage",
    ("api-crm-guests", "GET"): "guests.contact",
    ("api-crm-guests", "POST"): "guests.contact",
    ("api-crm-guest", "GET"): "guests.contact",
    ("api-crm-guest", "PATCH"): "guests.contact",
    ("api-crm-guest-merge", "POST"): "manage",
    ("api-crm-guest-export", "GET"): "manage",
    ("api-crm-guest-erase", "POST"): "manage",
    ("api-pms-room-types", "GET"): "api.use",
    ("api-pms-rooms", "GET"): "api.use",
    ("api-pms-room", "GET"): "pms.housekeeping",
    ("api-pms-room", "PATCH"): "pms.housekeeping",
    ("api-pms-stays", "GET"): "pms.frontdesk",
    ("api-pms-rates", "GET"): "manage",
    ("api-pms-rates", "POST"): "manage",
    ("api-billing-folio-charge", "POST"): "pms.frontdesk",
    ("api-catalogue-categories", "GET"): "api.use",
    ("api-catalogue-categories", "POST"): "manage",
    ("api-catalogue-category", "GET"): "api.use",
    ("api-catalogue-category", "PATCH"): "manage",
    ("api-catalogue-products", "GET"): "api.use",
    ("api-catalogue-products", "POST"): "manage",
    ("api-catalogue-product", "GET"): "api.use",
    ("api-catalogue-product", "PATCH"): "manage",
    ("api-pos-cash-sessions", "GET"): "pos.cash",
    ("api-pos-cash-session", "GET"): "pos.cash",
    ("api-reporting-kpis", "GET"): "manage",
}

# a field anywhere in a payload -> the capability needed to receive it
FIELD_RIGHTS = {
    "email": "guests.contact",
    "phone": "guests.contact",
    "notes": "guests.contact",
    "holder_name": "billing.read",
    "buyer": "billing.read",
}
# a field whose value is an object (not an id) -> the capability needed to receive it
OBJECT_RIGHTS = {"folio": "billing.read"}


def api_routes() -> list[tuple[str, str, str]]:
    """(route name, method, pattern) of every view under /api/v1/."""
    found = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                view = getattr(p.callback, "cls", None)
                if not route.startswith("api/v1/") or view is None:
                    continue
                for method in ("get", "post", "put", "patch", "delete"):
                    if hasattr(view, method):
                        found.append((p.name, method.upper(), route))

    walk(get_resolver().url_patterns, "")
    return found


def forbidden_fields(payload, role) -> list[str]:
    """The fields of `payload` (recursively) that `role` may not receive."""
    bad = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            capability = FIELD_RIGHTS.get(key)
            if capability and not role_has(role, capability):
                bad.append(key)
            capability = OBJECT_RIGHTS.get(key)
            if capability and isinstance(value, dict) and not role_has(role, capability):
                bad.append(key)
            bad += forbidden_fields(value, role)
    elif isinstance(payload, list):
        for item in payload:
            bad += forbidden_fields(item, role)
    return bad


@pytest.fixture
def stage(hotel, catalog):
    stay = make_stay(hotel, room_number="12")
    reservation = stay.reservation
    Guest.objects.filter(pk=reservation.guest_id).update(
        email="jeanne.dupont@exemple.fr", phone="0611223344"
    )
    reservation.notes = "Allergique aux arachides"
    reservation.save(update_fields=["notes"])
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
    cashier = make_staff(hotel, Role.CASHIER, username="stage-cashier")
    sale = _client(cashier).post(
        f"/api/v1/properties/{hotel.slug}/pos/orders",
        {
            "terminal": str(terminal.public_id),
            "lines": [{"product": "spritz"}],
            "room_number": "12",
        },
        format="json",
    )
    assert sale.status_code == 201, sale.json()
    subscription, delivery = make_subscription(hotel)
    session = cash_session_open(terminal=terminal, actor=cashier, opening_float=D("100"))
    return {
        "guest": str(reservation.guest.public_id),
        "number": "12",
        "code": "spritz",
        "category_id": str(Category.objects.filter(property=hotel).first().pk),
        "session_id": str(session.pk),
        "subscription_id": str(subscription.public_id),
        "message_id": delivery.message_id,
        "property_slug": hotel.slug,
        "reference": reservation.reference,
        "folio": str(folio.public_id),
        "invoice": str(invoice.public_id),
        "order_id": str(sale.json()["order"]),
    }


def _client(user=None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        token = Token.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def _url(route: str, name: str, stage: dict) -> str:
    values = dict(stage)
    values["public_id"] = (
        stage["invoice"] if "invoice-detail" in name or "credit" in name else (stage["folio"])
    )
    if name.startswith("api-crm-guest"):
        values["public_id"] = stage["guest"]
    for key, value in values.items():
        for converter in ("slug", "str", "uuid", "int"):
            route = route.replace(f"<{converter}:{key}>", value)
    assert "<" not in route, route
    return "/" + route


READ_QUERY = {
    "api-pms-availability": {"start": "2030-01-01", "end": "2030-01-03"},
    "api-product-availability": {"products": "spritz", "start": "2030-01-01"},
    "api-pms-rates": {"start": "2030-01-01"},
    "api-reporting-kpis": {"start": "2030-01-01", "end": "2030-01-02"},
}


def test_the_rights_table_covers_every_api_route():
    assert {(name, method) for name, method, _ in api_routes()} == set(ROUTE_RIGHTS)


@pytest.mark.parametrize("role", [None, *Role.values])
def test_every_route_answers_each_role_by_the_rights_table(hotel, stage, role):
    user = make_staff(hotel, role, username=f"who-{role}") if role else None
    client = _client(user)
    for name, method, route in api_routes():
        url = _url(route, name, stage)
        capability = ROUTE_RIGHTS[(name, method)]
        if method == "GET":
            response = client.get(url, READ_QUERY.get(name, {}))
        else:
            # an empty body: refused by rights (403) or by validation, never carried out
            response = client.generic(method, url, "{}", content_type="application/json")
        allowed = role is not None and (capability is None or role_has(role, capability))
        where = f"{method} {url} as {role}"
        if role is None:
            assert response.status_code in (401, 403), where
        elif not allowed:
            assert response.status_code == 403, where
        elif method == "GET":
            assert response.status_code == 200, (where, response.json())
        else:
            assert response.status_code not in (401, 403, 404, 500), (where, response.json())
        if response.status_code < 300 and response.content:  # a DELETE's 204 has no body
            assert forbidden_fields(response.json(), role) == [], where


@pytest.mark.parametrize(
    "role, sees_contact, sees_folio",
    [
        (Role.WAITER, False, False),
        (Role.BARTENDER, False, False),
        (Role.CASHIER, False, False),
        (Role.FRONT_DESK, True, True),
        (Role.MANAGER, True, True),
        (Role.ACCOUNTANT, True, True),
    ],
)
def test_a_reservation_read_shows_contact_and_folio_only_to_who_may_see_them(
    hotel, stage, role, sees_contact, sees_folio
):
    client = _client(make_staff(hotel, role, username=f"reader-{role}"))
    body = client.get(f"/api/v1/properties/{hotel.slug}/reservations/{stage['reference']}").json()
    assert body["guest"]["last_name"] == "Dupont" and body["rooms"][0]["room"] == "12"
    assert ("email" in body["guest"], "phone" in body["guest"]) == (sees_contact,) * 2
    assert ("notes" in body) is sees_contact
    assert ("folio" in body) is sees_folio
    if sees_contact:
        assert body["guest"]["email"] == "jeanne.dupont@exemple.fr"
    if sees_folio:
        assert body["folio"]["charges"] == "127.00"  # the two lines and the bar's spritz
