"""PLT-2, PLT-6: a manager of the gîte gets 404 on every back-office URL of the hotel. The
URLconf is crawled: every pattern under /manage/ (this branch's and any other's) is called
with the ids of the hotel's rows of every model, by GET and by POST."""

from datetime import date

import pytest
from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver

from core.models import Property, Role
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


def manage_patterns():
    """(route, converters) of every pattern below the "manage/" mounts."""
    found = []

    def walk(patterns, prefix, inside):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route, inside or route.startswith("manage/"))
            elif isinstance(p, URLPattern) and (inside or route.startswith("manage/")):
                found.append((route, dict(p.pattern.converters)))

    walk(get_resolver().url_patterns, "", False)
    return found


def owned_ids(prop: Property) -> set[int]:
    """The primary keys of every row that belongs to `prop`, directly or through a parent."""
    ids: set[int] = set()
    owned = []
    for model in apps.get_models():
        fields = {f.name: f for f in model._meta.get_fields() if isinstance(f, models.ForeignKey)}
        if "property" in fields and fields["property"].related_model is Property:
            owned.append((model, "property"))
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if (
                isinstance(f, models.ForeignKey)
                and any(f.related_model is m for m, _ in owned)
                and f.name != "property"
            ):
                owned.append((model, f"{f.name}__property"))
                break
    for model, path in owned:
        try:
            ids |= set(model.objects.filter(**{path: prop}).values_list("pk", flat=True)[:3])
        except Exception:
            continue  # a non-integer primary key
    return {pk for pk in ids if isinstance(pk, int)}


def fill(route: str, converters: dict, value: int) -> str:
    import re

    def sub(match):
        kind, name = match.group(1), match.group(2)
        if name == "day" or kind == "str" and "day" in name:
            return date.today().isoformat()
        if kind == "int":
            return str(value)
        return "x"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: sub(m) if m.group(1) else "x", route)


def test_the_gite_manager_gets_404_on_every_back_office_url_of_the_hotel(
    client, hotel, other_hotel, catalog
):
    from pms.demo import room_types_seed
    from tests.factories.pos import make_terminal

    room_types_seed(hotel)
    make_terminal(hotel)
    hotel_boss = make_staff(hotel, Role.MANAGER, username="hotel-boss")
    from core.audit import audit_log

    audit_log(action="x", property=hotel, actor=hotel_boss, target=hotel_boss.memberships.first())
    gite_boss = make_staff(other_hotel, Role.MANAGER, username="gite-boss")
    client.force_login(gite_boss)

    patterns = manage_patterns()
    with_ids = [(r, c) for r, c in patterns if any(k for k in c)]
    assert len(with_ids) >= 4, patterns  # the crawl sees this branch's screens at least
    # a user is nobody's row: the gîte's own staff (a person's hours) are the gîte's to see
    from core.models import Membership

    gite_people = set(
        Membership.objects.filter(property=other_hotel).values_list("user_id", flat=True)
    )
    candidates = sorted(owned_ids(hotel) - owned_ids(other_hotel) - gite_people)
    assert candidates
    checked = 0
    for route, converters in with_ids:
        int_args = [
            name for name, conv in converters.items() if type(conv).__name__ == "IntConverter"
        ]
        if not int_args:
            continue
        for pk in candidates:
            url = fill(route, converters, pk)
            for method in (client.get, client.post):
                response = method(url)
                # a POST-only screen answers a GET 405 whatever the id: nothing is revealed
                allowed = (404, 405) if method.__name__ == "get" else (404,)
                assert response.status_code in allowed, (url, method.__name__, response.status_code)
                checked += 1
    assert checked > 0

    # the screens without ids show the gîte's rows only
    for route, converters in patterns:
        if converters:
            continue
        response = client.get("/" + route)
        assert response.status_code in (200, 302, 405), route
        assert hotel.name not in response.content.decode(), route


def test_the_django_admin_refuses_a_manager(client, hotel):
    manager = make_staff(hotel, Role.MANAGER, username="not-admin")
    client.force_login(manager)
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    assert "/admin/login/" in response.get("Location", "/admin/login/")
