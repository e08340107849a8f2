"""The OpenAPI schema and its Swagger UI are for staff and integrators, not the public: an
API token or a password session of a staff member reads them, an anonymous caller and a PIN
session do not (docs/api.md)."""

import pytest
from django.http import HttpResponse
from rest_framework.authtoken.models import Token

from core.models import Role
from core.terminals import COOKIE, bind_terminal
from tests.factories.core import UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["/api/schema/", "/api/docs/"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_callers_get_no_schema(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert "/api/v1/properties" not in response.content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_an_integrator_reads_the_schema_with_a_token(client, hotel, staff_of, path):
    user = staff_of(hotel, Role.FRONT_DESK, username="integrator")
    token = Token.objects.create(user=user)
    response = client.get(path, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_a_signed_in_manager_reads_the_schema(client, manager):
    client.force_login(manager)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert "/api/v1/properties/{property_slug}/quote" in response.content.decode()


def test_a_user_who_works_nowhere_gets_no_schema(client):
    client.force_login(UserFactory(username="nobody"))
    assert client.get("/api/schema/").status_code == 403


def test_a_pin_session_gets_no_schema(client, hotel, manager):
    response = HttpResponse()
    bind_terminal(response, property_id=hotel.pk, terminal_id=None, label="Desk")
    client.cookies[COOKIE] = response.cookies[COOKIE].value
    client.post("/pin/", {"user_id": manager.pk, "pin": "666666"})
    response = client.get("/api/schema/")
    assert response.status_code == 403
    assert response.json()["code"] == "password_required"
