"""The manager's duplicate list: a pair shown with its reason, merged with one button;
other roles and other organisations' profiles are refused."""

from crm.models import Guest
from crm.services import guest_create


def test_a_manager_sees_a_pair_and_merges_it(client, hotel, manager):
    org = hotel.organization
    kept = guest_create(organization=org, last_name="Martin", email="lea@x.fr")
    other = guest_create(organization=org, last_name="Martin", email="Lea@X.fr")
    client.force_login(manager)
    page = client.get("/guests/duplicates/").content.decode()
    assert "same e-mail" in page and 'data-testid="pair"' in page
    response = client.post("/guests/merge/", {"keep": kept.pk, "duplicate": other.pk}, follow=True)
    assert "was merged into" in response.content.decode()
    other.refresh_from_db()
    assert other.merged_into_id == kept.pk
    assert "No likely duplicate." in client.get("/guests/duplicates/").content.decode()


def test_a_waiter_cannot_open_the_list_and_another_organisation_is_not_found(
    client, hotel, other_hotel, manager, waiter
):
    client.force_login(waiter)
    assert client.get("/guests/duplicates/").status_code == 403
    mine = guest_create(organization=hotel.organization, last_name="A")
    theirs = guest_create(organization=other_hotel.organization, last_name="A")
    client.force_login(manager)
    response = client.post("/guests/merge/", {"keep": mine.pk, "duplicate": theirs.pk})
    assert response.status_code == 404
    response = client.post("/guests/merge/", {"keep": "x", "duplicate": ""})
    assert response.status_code == 404
    assert not Guest.objects.filter(merged_into__isnull=False).exists()
