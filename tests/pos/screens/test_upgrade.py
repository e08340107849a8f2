"""A paid room upgrade sold at the till (issue 19): the room number names the guest in house,
the other types' free rooms come with the difference, the confirmed sale moves the stay and
charges the folio once however many times it is tapped; another property's stay or room is
a 404, a role that does not sell at the till is refused, bad input changes nothing."""

from urllib.parse import urlencode

import pytest

from billing.models import FolioLine
from core.models import AuditEntry, Role
from pms.models import Room
from pms.services.stays import reservation_check_in
from pms.services.upgrades import upgrade_offers
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


def first_room(rooms, code):
    return Room.objects.filter(room_type=rooms[code]).order_by("number")[0]


@pytest.fixture
def stay(book, rooms):
    res = book("classique", nights=2, last_name="Dupont")
    reservation_check_in(
        reservation=res, assignments={res.rooms.get().pk: first_room(rooms, "classique").pk}
    )
    res.refresh_from_db()
    return res


def upgrade_lines(res):
    return list(FolioLine.objects.filter(folio=res.folio, source__startswith="pms.upgrade:"))


def confirm_form(till, rr, target):
    """What the confirm sheet posts (its hidden fields, key included)."""
    page = till.get(f"/pos/upgrade/?{urlencode({'room': rr.room.number, 'to': target.pk})}")
    html = page.content.decode()
    assert page.status_code == 200 and "upgrade-confirm" in html
    key = html.split('name="key" value="')[1].split('"')[0]
    difference = html.split('name="difference" value="')[1].split('"')[0]
    return {"reservation_room": rr.pk, "room": target.pk, "key": key, "difference": difference}


def test_the_room_number_names_the_guest_and_the_offers_with_their_difference(
    till, stay, rooms, django_assert_max_num_queries
):
    rr = stay.rooms.get()
    offer = next(o for o in upgrade_offers(reservation_room=rr) if o.room_type.code == "superieure")
    # the session and staff reads, the stay, the free rooms in one query, a quote per type
    with django_assert_max_num_queries(13):
        page = till.get(f"/pos/upgrade/?room={rr.room.number}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Camille Dupont" in html and "2 nights left" in html
    assert "upgrade-offer-superieure" in html and "upgrade-offer-classique" not in html
    assert f"+€{offer.difference}" in html


def test_a_confirmed_upgrade_moves_the_stay_and_charges_the_folio_once(till, stay, rooms, terminal):
    rr = stay.rooms.get()
    target = first_room(rooms, "superieure")
    form = confirm_form(till, rr, target)
    assert "Camille Dupont" in till.get(f"/pos/upgrade/?room={rr.room.number}&to={target.pk}")\
        .content.decode()  # fmt: skip
    first = till.post("/pos/upgrade/sell/", form)
    second = till.post("/pos/upgrade/sell/", form)  # the double tap
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    done = till.get(first["Location"]).content.decode()
    assert f"now stays in room {target.number}" in done and f"€{form['difference']}" in done
    rr.refresh_from_db()
    assert (rr.room_id, rr.room_type.code) == (target.pk, "superieure")
    lines = upgrade_lines(stay)
    assert [str(line.total) for line in lines] == [form["difference"]]
    audit = AuditEntry.objects.get(action="pms.room.upgraded")
    assert audit.data["via"] == "pos" and audit.data["terminal"] == terminal.pk


def test_a_room_without_a_guest_says_so(till, stay):
    page = till.get("/pos/upgrade/?room=999")
    assert page.status_code == 200
    assert "Room 999 has no guest in house." in page.content.decode()


def test_a_price_that_moved_is_refused_and_nothing_moves(till, stay, rooms):
    rr = stay.rooms.get()
    target = first_room(rooms, "superieure")
    form = confirm_form(till, rr, target) | {"difference": "0.01"}
    refused = till.post("/pos/upgrade/sell/", form)
    assert refused.status_code == 422
    assert "now costs" in refused.content.decode()
    rr.refresh_from_db()
    assert rr.room_type.code == "classique" and upgrade_lines(stay) == []


def test_another_propertys_stay_or_room_is_a_404(till, stay, rooms, other_hotel):
    from inventory import demo
    from pms.demo import room_types_seed

    demo.seed({"property": other_hotel})
    elsewhere = room_types_seed(other_hotel)
    foreign_room = first_room(elsewhere, "superieure")
    rr = stay.rooms.get()
    assert till.get(f"/pos/upgrade/?room={rr.room.number}&to={foreign_room.pk}").status_code == 404
    form = confirm_form(till, rr, first_room(rooms, "superieure"))
    assert till.post("/pos/upgrade/sell/", form | {"room": foreign_room.pk}).status_code == 404
    assert till.post("/pos/upgrade/sell/", form | {"reservation_room": 0}).status_code == 404
    assert upgrade_lines(stay) == []


@pytest.mark.parametrize("role", [Role.HOUSEKEEPING, Role.ACCOUNTANT, Role.WAITER, Role.BARTENDER])
def test_a_role_that_may_not_move_a_guest_is_refused(client, hotel, stay, role):
    client.force_login(make_staff(hotel, role, username=f"u-{role}"))
    assert client.get("/pos/upgrade/").status_code == 403
    assert client.post("/pos/upgrade/sell/", {}).status_code == 403


def test_the_counter_links_to_the_upgrade(till):
    assert 'href="/pos/upgrade/"' in till.get("/pos/counter/").content.decode()
