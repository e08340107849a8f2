"""Token calls to /api/v1/ skip the staff middleware (core.middleware.ApiTokenMiddleware):
they get the answers the whole chain gives, in the language they ask for; a call signed in
by its session keeps the whole chain, and CSRF with it."""

import pytest
from django.conf import settings
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token

from core.models import Role
from pos.models import Order
from tests.factories.pos import make_terminal

pytestmark = pytest.mark.django_db
WHOLE_CHAIN = [m for m in settings.MIDDLEWARE if m != "core.middleware.ApiTokenMiddleware"]
# the headers an API answer shows the caller (the CSP middleware's nonce differs per call)
SHOWN = ("Content-Type", "Content-Language", "Content-Length", "X-Frame-Options", "Allow")


@pytest.fixture
def cashier(hotel, staff_of):
    return staff_of(hotel, Role.CASHIER, username="cashier")


@pytest.fixture
def terminal(hotel):
    return make_terminal(hotel, outlet_code="bar-piscine", outlet_name="Bar de la Piscine")


@pytest.fixture
def token(cashier):
    return Token.objects.create(user=cashier)


def sale(hotel, till, **change):
    body = {
        "terminal": str(till.public_id),
        "lines": [{"product": "spritz"}, {"product": "cafe", "quantity": "2"}],
        "tenders": [{"method": "cash", "amount": "16.00", "tendered": "20.00"}],
    }
    return f"/api/v1/properties/{hotel.slug}/pos/orders", {**body, **change}


def calls(hotel, terminal, token):
    """(method, path, body, headers): reads, refusals, errors in both languages, a sale."""
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    orders, body = sale(hotel, terminal)
    return [
        ("get", "/api/v1/me", None, auth),
        ("get", f"/api/v1/properties/{hotel.slug}/products", None, auth),
        ("get", f"/api/v1/properties/{hotel.slug}/products", None, {**auth, "HTTP_ACCEPT": "x/y"}),
        ("get", "/api/v1/properties/ailleurs/products", None, auth),
        ("get", "/api/v1/no-such-thing", None, auth),
        ("get", "/api/v1/me", None, {"HTTP_AUTHORIZATION": "Token nope"}),
        (
            "get",
            "/api/v1/me",
            None,
            {"HTTP_AUTHORIZATION": "Token nope", "HTTP_ACCEPT_LANGUAGE": "fr"},
        ),
        ("get", "/api/v1/me", None, {"HTTP_AUTHORIZATION": "Bearer nope"}),
        ("get", "/api/v1/me", None, {"HTTP_AUTHORIZATION": "token"}),
        (
            "post",
            orders,
            sale(hotel, terminal, terminal="6f1d3c2e-7a4b-4c59-9e0d-2b8f5a1c7e90")[1],
            {**auth, "HTTP_ACCEPT_LANGUAGE": "fr"},
        ),
        ("post", orders, sale(hotel, terminal, lines=[{"product": "nope"}])[1], auth),
        ("post", orders, body, {**auth, "HTTP_IDEMPOTENCY_KEY": "lean-1"}),
        ("post", orders, body, {**auth, "HTTP_IDEMPOTENCY_KEY": "lean-1"}),  # its replay
    ]


def answer(client, method, path, body, headers):
    if method == "get":
        return client.get(path, **headers)
    return client.post(path, body, content_type="application/json", **headers)


def test_a_token_call_gets_the_answer_the_whole_chain_gives(hotel, catalog, terminal, token):
    lean = [answer(Client(), *call) for call in calls(hotel, terminal, token)]
    assert Order.objects.count() == 1
    with override_settings(MIDDLEWARE=WHOLE_CHAIN):
        whole = [answer(Client(), *call) for call in calls(hotel, terminal, token)]
    statuses = [r.status_code for r in lean]
    assert statuses == [200, 200, 406, 404, 404, 401, 401, 401, 401, 404, 422, 201, 201]
    assert statuses == [r.status_code for r in whole]
    for mine, theirs, call in zip(lean, whole, calls(hotel, terminal, token), strict=True):
        assert {h: mine.get(h) for h in SHOWN} == {h: theirs.get(h) for h in SHOWN}, call
        assert "Accept-Language" in mine["Vary"], call
        # two sales differ by their numbers; the replays of one are equal
        if mine.status_code != 201 or mine.has_header("Idempotent-Replayed"):
            assert mine.content == theirs.content, call
    assert lean[6].json()["message"] == whole[6].json()["message"] == "Jeton invalide."
    assert lean[-1]["Idempotent-Replayed"] == whole[-1]["Idempotent-Replayed"] == "true"


def test_a_token_call_leaves_the_session_alone(client, hotel, catalog, terminal, token, cashier):
    client.force_login(cashier)  # a browser signed in, whose script also holds a token
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and response.json()["username"] == "cashier"
    assert "Cookie" not in response["Vary"] and not response.cookies
    # a bad token is refused even beside a valid session: the session never stands in for it
    refused = client.get("/api/v1/me", HTTP_AUTHORIZATION="Token nope")
    assert refused.status_code == 401


def test_a_session_call_to_the_api_still_needs_its_csrf_token(hotel, catalog, terminal, cashier):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cashier)
    path, body = sale(hotel, terminal)
    refused = browser.post(path, body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    assert Order.objects.count() == 0
    # with the CSRF cookie's token in the header, as the screens send it, the same call sells
    browser.cookies[settings.CSRF_COOKIE_NAME] = "c" * 32
    sold = browser.post(path, body, content_type="application/json", HTTP_X_CSRFTOKEN="c" * 32)
    assert sold.status_code == 201, sold.json()
    assert Order.objects.count() == 1
