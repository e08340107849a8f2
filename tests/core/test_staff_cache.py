"""The signed-in staff member and their memberships come from the shared cache on every
request; any change to the user or a membership is seen by the very next request."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import Membership, Role
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(hotel):
    user = make_staff(hotel, Role.WAITER, username="camille")
    client = Client()
    client.force_login(user)
    assert client.get("/pos/tables/").status_code == 200
    return client, user


def test_a_staff_page_reads_no_user_or_membership_row(signed_in):
    client, _ = signed_in
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/pos/tables/").status_code == 200
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert queries.captured_queries  # the floor plan's own tables and tabs
    assert '"auth_user"' not in read and '"core_membership"' not in read


def test_a_deactivated_user_is_signed_out_at_once(signed_in):
    client, user = signed_in
    user.is_active = False
    user.save()
    response = client.get("/pos/tables/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_new_password_signs_the_other_sessions_out(signed_in):
    client, user = signed_in
    user.set_password("a-new-passphrase-2026")
    user.save()
    response = client.get("/pos/tables/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_role_change_is_seen_by_the_next_request(signed_in, hotel):
    client, user = signed_in
    assert client.get("/pos/cash/").status_code == 403  # a waiter keeps no drawer
    membership = Membership.objects.get(user=user, property=hotel)
    membership.role = Role.MANAGER
    membership.save()
    assert client.get("/pos/cash/").status_code == 200


def test_approvers_lists_follow_a_membership_moved_and_ignore_a_mere_sign_in(hotel, other_hotel):
    from django.contrib.auth import user_logged_in

    from core.scoping import approvers_listed

    boss = make_staff(hotel, Role.MANAGER, username="boss")
    assert [a.user_id for a in approvers_listed(hotel)] == [boss.pk]
    assert approvers_listed(other_hotel) == []
    # a sign-in writes last_login only: the list stays cached
    user_logged_in.send(sender=boss.__class__, request=None, user=boss)
    with CaptureQueriesContext(connection) as queries:
        assert [a.user_id for a in approvers_listed(hotel)] == [boss.pk]
    assert not queries.captured_queries
    # the membership moved to the other hotel (the admin edits its property)
    membership = Membership.objects.get(user=boss)
    membership.property = other_hotel
    membership.save()
    assert approvers_listed(hotel) == []
    assert [a.user_id for a in approvers_listed(other_hotel)] == [boss.pk]
