"""PLT-1, POS-1: the manager's staff screens — invitation by e-mail, role and rights per
outlet, discount limit, deactivation that ends sessions and tokens at once, PIN reset, the
property the manager last used — and the history of every change."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.api_tokens import api_token_create
from core.models import AuditEntry, Membership, Role
from core.roles import discount_limit
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal
from tests.factories.screens import terminal_cookie

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


@pytest.fixture
def bar(hotel):
    return make_terminal(hotel, outlet_code="bar", outlet_name="Bar", name="Bar 1")


@pytest.fixture
def restaurant(hotel):
    return make_terminal(hotel, outlet_code="restaurant", outlet_name="Restaurant", name="Salle")


def test_an_invited_person_chooses_a_password_from_the_e_mail_and_signs_in(
    client, boss, hotel, bar, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("manage:staff_invite"),
            {
                "email": "Zoe.Bar@Exemple.fr",
                "first_name": "Zoé",
                "last_name": "Bar",
                "role": Role.BARTENDER,
                "outlets": [str(bar.outlet_id)],
            },
        )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="zoe.bar@exemple.fr", property=hotel)
    assert membership.role == Role.BARTENDER and membership.outlet_ids == [bar.outlet_id]
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/manage/staff/welcome/\S+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[1]

    newcomer = Client()
    page = newcomer.get(path, follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else path
    done = newcomer.post(
        form_url, {"new_password1": "Bar-tender-2026!", "new_password2": "Bar-tender-2026!"}
    )
    assert done.status_code == 302
    assert newcomer.login(username="zoe.bar@exemple.fr", password="Bar-tender-2026!")
    # the link works once
    again = Client()
    again.cookies["django_language"] = "en"
    assert "expired" in again.get(path, follow=True).content.decode()
    assert AuditEntry.objects.filter(action="core.staff.invited").exists()


def test_inviting_someone_twice_or_a_bad_address_is_refused(client, boss, hotel, waiter):
    response = client.post(
        reverse("manage:staff_invite"), {"email": "pas-une-adresse", "role": Role.WAITER}
    )
    assert response.status_code == 422
    assert "valid e-mail" in response.content.decode()
    waiter.email = "waiter@exemple.fr"
    waiter.save()
    response = client.post(
        reverse("manage:staff_invite"), {"email": "waiter@exemple.fr", "role": Role.WAITER}
    )
    assert response.status_code == 422
    assert "already works here" in response.content.decode()


def test_a_bartender_with_bar_only_rights_is_refused_at_the_restaurant_terminal(
    client, boss, hotel, bar, restaurant, catalog
):
    barman = make_staff(hotel, Role.BARTENDER, username="barman", pin="3333")
    membership = Membership.objects.get(user=barman, property=hotel)
    response = client.post(
        reverse("manage:staff_edit", args=[membership.pk]),
        {"role": Role.BARTENDER, "outlets": [str(bar.outlet_id)], "discount_limit": "5"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.outlet_ids == [bar.outlet_id] and membership.discount_limit == 5
    assert discount_limit(membership.role, membership.discount_limit) == 5

    at_restaurant = Client()
    at_restaurant.cookies["django_language"] = "en"
    at_restaurant.cookies["auberge_terminal"] = terminal_cookie(restaurant)
    refused = at_restaurant.post("/pin/", {"user_id": barman.pk, "pin": "3333"})
    assert refused.status_code == 403
    assert "no rights at Restaurant" in refused.content.decode()
    assert "_auth_user_id" not in at_restaurant.session

    at_bar = Client()
    at_bar.cookies["auberge_terminal"] = terminal_cookie(bar)
    assert at_bar.post("/pin/", {"user_id": barman.pk, "pin": "3333"}).status_code == 302
    assert at_bar.get(reverse("pos:counter")).status_code == 200

    # signed in with the password on the restaurant's till: the POS screens refuse too
    at_bar.cookies["auberge_terminal"] = terminal_cookie(restaurant)
    at_bar.force_login(barman)
    assert at_bar.get(reverse("pos:counter")).status_code == 403

    # and the sale API, at the restaurant's terminal
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=barman).key}")
    sale = api.post(
        f"/api/v1/properties/{hotel.slug}/pos/orders",
        {
            "terminal": str(restaurant.public_id),
            "lines": [{"product": "cafe", "quantity": "1"}],
            "tenders": [{"method": "cash", "amount": "2.50"}],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="bar-only-1",
    )
    assert sale.status_code == 403, sale.json()


def test_a_deactivated_person_s_session_and_api_tokens_stop_on_the_next_request(
    client, boss, hotel
):
    other = make_staff(hotel, Role.MANAGER, username="second", pin="777777")
    drf_key = Token.objects.create(user=other).key
    _scoped, scoped_key = api_token_create(
        property=hotel, actor=other, name="Compta", read_only=True, areas=["inventory"]
    )
    their_browser = Client()
    their_browser.force_login(other)
    assert their_browser.get(reverse("rates:calendar")).status_code == 200
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {drf_key}")
    assert api.get(f"/api/v1/properties/{hotel.slug}/products").status_code == 200
    scoped = APIClient()
    scoped.credentials(HTTP_AUTHORIZATION=f"Bearer {scoped_key}")
    assert scoped.get(f"/api/v1/properties/{hotel.slug}/products").status_code == 200

    membership = Membership.objects.get(user=other, property=hotel)
    response = client.post(
        reverse("manage:staff_edit", args=[membership.pk]), {"action": "deactivate"}
    )
    assert response.status_code == 302

    assert their_browser.get(reverse("rates:calendar")).status_code in (302, 403)
    assert api.get(f"/api/v1/properties/{hotel.slug}/products").status_code == 401
    assert scoped.get(f"/api/v1/properties/{hotel.slug}/products").status_code == 401
    entry = AuditEntry.objects.get(action="core.staff.deactivated")
    assert entry.data["before"]["is_active"] is True and entry.data["after"]["is_active"] is False
    assert "deactivated" in client.get(reverse("core:staff_list")).content.decode()


def test_a_manager_cannot_deactivate_himself_nor_drop_his_own_rights(client, boss, hotel):
    own = Membership.objects.get(user=boss, property=hotel)
    response = client.post(reverse("manage:staff_edit", args=[own.pk]), {"action": "deactivate"})
    assert response.status_code == 422
    response = client.post(
        reverse("manage:staff_edit", args=[own.pk]), {"role": Role.WAITER, "discount_limit": ""}
    )
    assert response.status_code == 422
    own.refresh_from_db()
    assert own.is_active and own.role == Role.MANAGER


def test_a_bad_discount_limit_is_refused(client, boss, hotel, waiter):
    membership = Membership.objects.get(user=waiter, property=hotel)
    response = client.post(
        reverse("manage:staff_edit", args=[membership.pk]),
        {"role": Role.WAITER, "discount_limit": "150"},
    )
    assert response.status_code == 422
    assert "between 0 and 100" in response.content.decode()
    membership.refresh_from_db()
    assert membership.discount_limit is None


def test_a_pin_reset_from_the_person_s_page(client, boss, hotel, waiter):
    membership = Membership.objects.get(user=waiter, property=hotel)
    response = client.post(
        reverse("manage:staff_edit", args=[membership.pk]), {"action": "pin", "pin": "4321"}
    )
    assert response.status_code == 302
    waiter.staff_profile.refresh_from_db()
    assert waiter.staff_profile.check_pin("4321")


def test_the_manager_lands_on_the_property_he_last_used(client, hotel, other_hotel):
    user = make_staff(hotel, Role.MANAGER, username="two-houses")
    Membership.objects.create(user=user, property=other_hotel, role=Role.MANAGER)
    client.force_login(user)
    client.post(reverse("core:property_switch"), {"property_id": other_hotel.pk})
    fresh = Client()
    fresh.force_login(user)
    page = fresh.get(reverse("rates:calendar"))
    assert page.context["request"].property == other_hotel


def test_the_history_lists_every_change_with_filters_and_only_managed_properties(
    client, boss, hotel, other_hotel, waiter
):
    from core.audit import audit_log

    membership = Membership.objects.get(user=waiter, property=hotel)
    client.post(
        reverse("manage:staff_edit", args=[membership.pk]),
        {"role": Role.CASHIER, "discount_limit": "15"},
    )
    # a row as the catalogue's screens write them, and one of another property
    audit_log(
        action="inventory.product.changed",
        property=hotel,
        actor=boss,
        data={
            "model": "inventory.product",
            "before": {"price": "4.00"},
            "after": {"price": "4.50"},
        },
    )
    audit_log(action="secret.change", property=other_hotel, data={"before": {"x": 1}})
    page = client.get(reverse("manage:history")).content.decode()
    assert "core.staff.changed" in page and "inventory.product.changed" in page
    assert "role: waiter → cashier" in page and "discount_limit: — → 15" in page
    assert "price: 4.00 → 4.50" in page
    assert "secret.change" not in page
    only = client.get(reverse("manage:history"), {"model": "core.membership"}).content.decode()
    assert "core.staff.changed" in only and "inventory.product.changed" not in only
    nobody = client.get(reverse("manage:history"), {"person": str(waiter.pk)}).content.decode()
    assert "core.staff.changed" not in nobody


def test_an_unpaired_tablet_says_so_at_sign_in(client, hotel):
    response = client.get("/pin/", follow=True)
    assert 'data-testid="unpaired"' in response.content.decode()
    assert "not paired to a terminal" in response.content.decode()
