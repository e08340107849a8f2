"""Role-based access and property scoping of the staff pages."""

import pytest
from django.urls import reverse
from django.utils import translation

from core.models import Role
from core.scoping import SESSION_KEY

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_sign_in_with_password_lands_on_role_home(client, hotel, staff_of):
    staff_of(hotel, Role.FRONT_DESK, username="claire")
    response = client.post(
        "/login/", {"username": "claire", "password": "pw-secret-123"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Front desk" in page or "Réception" in page
    assert hotel.name in page


def test_wrong_password_is_refused_with_a_message(client, hotel, staff_of):
    staff_of(hotel, Role.FRONT_DESK, username="claire")
    response = client.post(
        "/login/", {"username": "claire", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "correct username and password" in response.content.decode()


def test_waiter_gets_403_on_manager_pages(client, waiter):
    client.force_login(waiter)
    assert client.get(reverse("core:staff_list")).status_code == 403
    response = client.post(reverse("core:staff_list"), {"membership_id": 1, "pin": "1234"})
    assert response.status_code == 403


def test_manager_sets_a_pin_for_staff_of_the_property(client, manager, waiter):
    client.force_login(manager)
    page = client.get(reverse("core:staff_list")).content.decode()
    assert waiter.username in page
    membership = waiter.memberships.get()
    response = client.post(
        reverse("core:staff_list"), {"membership_id": membership.pk, "pin": "4321"}
    )
    assert response.status_code == 302
    waiter.staff_profile.refresh_from_db()
    assert waiter.staff_profile.check_pin("4321")


def test_manager_cannot_touch_staff_of_another_property(client, manager, other_hotel, staff_of):
    outsider = staff_of(other_hotel, Role.WAITER, username="outsider", pin="1234")
    client.force_login(manager)
    assert outsider.username not in client.get(reverse("core:staff_list")).content.decode()
    response = client.post(
        reverse("core:staff_list"), {"membership_id": outsider.memberships.get().pk, "pin": "9999"}
    )
    assert response.status_code == 403
    outsider.staff_profile.refresh_from_db()
    assert outsider.staff_profile.check_pin("1234")


def test_bad_pin_gets_a_clear_error_and_changes_nothing(client, manager, waiter):
    client.force_login(manager)
    response = client.post(
        reverse("core:staff_list"),
        {"membership_id": waiter.memberships.get().pk, "pin": "12"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "4 to 6 digits" in response.content.decode()
    waiter.staff_profile.refresh_from_db()
    assert waiter.staff_profile.check_pin("2222")


def test_navigation_shows_each_role_what_it_may_use(client, hotel, staff_of):
    admin = staff_of(hotel, Role.ADMIN, username="boss")
    waiter = staff_of(hotel, Role.WAITER, username="hugo")
    client.force_login(admin)
    assert reverse("admin:index") in client.get("/").content.decode()
    client.force_login(waiter)
    assert reverse("admin:index") not in client.get("/").content.decode()


def test_navigation_kept_per_process_follows_each_request_language_and_role():
    """The menu is worked out once per role and language (core.navigation): a French page
    after an English one is in French, sorted in French, and a waiter's is not a manager's."""
    from core.navigation import items_for

    with translation.override("en"):
        english = items_for(Role.MANAGER)
    with translation.override("fr"):
        french = items_for(Role.MANAGER)
        waiter = items_for(Role.WAITER)
    with translation.override("en"):
        assert items_for(Role.MANAGER) == english
    with translation.override("fr"):
        assert [str(i["label"]) for i in items_for(Role.MANAGER)] == [
            str(i["label"]) for i in french
        ]
    with translation.override("en"):
        english_labels = [str(i["label"]) for i in english]
    assert [str(i["label"]) for i in french] != english_labels
    assert {i["url"] for i in french} == {i["url"] for i in english}
    assert {i["url"] for i in waiter} < {i["url"] for i in french}
    items_for(Role.WAITER)[0]["label"] = "changed"  # a caller's copy, not the kept menu
    assert items_for(Role.WAITER)[0]["label"] != "changed"


def test_property_switcher_only_offers_own_properties(client, hotel, other_hotel, staff_of):
    user = staff_of(hotel, Role.MANAGER, username="paul")
    client.force_login(user)
    response = client.post(reverse("core:property_switch"), {"property_id": other_hotel.pk})
    assert response.status_code == 403
    assert client.session.get(SESSION_KEY) == hotel.pk


def test_property_switcher_switches_between_own_properties(client, hotel, other_hotel, staff_of):
    user = staff_of(hotel, Role.MANAGER, username="paul")
    from tests.factories.core import MembershipFactory

    MembershipFactory(user=user, property=other_hotel, role=Role.ACCOUNTANT)
    client.force_login(user)
    client.post(reverse("core:property_switch"), {"property_id": other_hotel.pk})
    page = client.get("/").content.decode()
    assert other_hotel.name in page
    assert "Accountant" in page or "Comptable" in page


def test_staff_without_property_get_a_clear_page(client, db):
    from tests.factories.core import UserFactory

    client.force_login(UserFactory(username="orphan"))
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "not attached to any property" in response.content.decode()


def test_api_me_lists_only_own_properties(client, hotel, other_hotel, staff_of):
    user = staff_of(hotel, Role.FRONT_DESK, username="claire")
    client.force_login(user)
    data = client.get("/api/v1/me").json()
    assert [p["slug"] for p in data["properties"]] == [hotel.slug]


def test_unknown_page_is_a_translated_404(client, manager):
    client.force_login(manager)
    response = client.get("/nowhere/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404


def test_staff_screens_speak_french_by_default(client, hotel, staff_of):
    user = staff_of(hotel, Role.FRONT_DESK, username="claire")
    del client.cookies["django_language"]
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "Réception" in page
    assert "Journée comptable" in page
