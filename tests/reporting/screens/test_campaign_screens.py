"""The manager's segment and campaign screens: the live count (htmx), a clear refusal that
saves nothing, another property's campaign a 404, a waiter kept out."""

import pytest

from core.models import Role
from crm.models import Campaign, Guest, Segment
from crm.services.campaigns import campaign_save, segment_save
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db

TEXTS = {
    "subject_fr": "Bonjour {first_name}",
    "body_fr": "Votre bon {voucher_code}",
    "subject_en": "Hello {first_name}",
    "body_en": "Your voucher {voucher_code}",
}


def test_the_live_count_follows_the_rules(client, hotel, manager):
    for name, opt_in in (("A", True), ("B", True), ("C", False)):
        Guest.objects.create(
            organization=hotel.organization, last_name=name, marketing_opt_in=opt_in
        )
    client.force_login(manager)
    response = client.post("/marketing/segments/count/", {"consent": "on"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "2 guests" in response.content.decode()
    response = client.post("/marketing/segments/count/", {"visits_min": "0"})
    assert "Visits must be at least 1." in response.content.decode()


def test_a_segment_without_rules_is_refused_and_nothing_saved(client, hotel, manager):
    client.force_login(manager)
    response = client.post("/marketing/segments/new/", {"name": "Empty", "match": "all"})
    assert response.status_code == 422
    assert "A segment needs at least one rule." in response.content.decode()
    assert not Segment.objects.exists()


def test_a_campaign_with_an_unknown_placeholder_is_refused(client, hotel, manager):
    segment = segment_save(
        property=hotel, name="All", match="all", rules=[{"type": "consent"}], actor=manager
    )
    client.force_login(manager)
    response = client.post(
        "/marketing/campaigns/new/",
        {"name": "X", "segment": segment.pk, "trigger": "one_off", **TEXTS, "body_en": "{oops}"},
    )
    assert response.status_code == 422
    assert "unknown placeholder {oops}" in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_manager_creates_previews_and_sends_a_campaign(client, hotel, manager):
    Guest.objects.create(
        organization=hotel.organization,
        first_name="Ana",
        last_name="Fan",
        email="ana@example.org",
        marketing_opt_in=True,
    )
    segment = segment_save(
        property=hotel, name="All", match="all", rules=[{"type": "consent"}], actor=manager
    )
    client.force_login(manager)
    response = client.post(
        "/marketing/campaigns/new/",
        {
            "name": "Spring",
            "segment": segment.pk,
            "trigger": "one_off",
            "voucher_amount": "15",
            **TEXTS,
        },
    )
    campaign = Campaign.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/marketing/campaigns/{campaign.pk}/"
    )
    page = client.get(response["Location"]).content.decode()
    assert "Bonjour Ana" in page and "Hello Ana" in page and "€15.00" in page
    response = client.post(f"/marketing/campaigns/{campaign.pk}/send/", follow=True)
    assert "1 e-mail queued." in response.content.decode()
    assert campaign.recipients.count() == 1


def test_another_propertys_manager_gets_404_and_a_waiter_403(
    client, hotel, other_hotel, manager, waiter
):
    segment = segment_save(
        property=hotel, name="All", match="all", rules=[{"type": "consent"}], actor=manager
    )
    campaign = campaign_save(
        property=hotel, actor=manager, name="Mine", segment_id=segment.pk, **TEXTS
    )
    other = make_staff(other_hotel, Role.MANAGER, username="other-manager")
    client.force_login(other)
    assert client.get(f"/marketing/campaigns/{campaign.pk}/").status_code == 404
    assert client.post(f"/marketing/campaigns/{campaign.pk}/send/").status_code == 404
    assert "Mine" not in client.get("/marketing/").content.decode()
    client.force_login(waiter)
    assert client.get("/marketing/").status_code == 403
    assert not campaign.recipients.exists()


def test_several_rules_of_a_kind_are_anded_on_screen_and_saved(client, hotel, manager):
    """Two stay periods (last year AND this year) plus consent: only the guest who came both
    times and said yes is counted; the saved segment keeps the three rules."""
    from datetime import timedelta

    from tests.crm.test_campaigns import guest, stay

    both, once, no_consent = (
        guest(hotel, "Both"),
        guest(hotel, "Once"),
        guest(hotel, "Silent", opt_in=False),
    )
    for g in (both, no_consent):
        stay(hotel, g, days_ago=400)
        stay(hotel, g, days_ago=30)
    stay(hotel, once, days_ago=30)
    today = hotel.business_date()
    form = {
        "name": "Came back",
        "match": "all",
        "stayed_from": (today - timedelta(days=410)).isoformat(),
        "stayed_to": (today - timedelta(days=399)).isoformat(),
        "stayed_from_2": (today - timedelta(days=40)).isoformat(),
        "stayed_to_2": (today - timedelta(days=29)).isoformat(),
        "consent": "on",
    }
    client.force_login(manager)
    page = client.get("/marketing/segments/new/").content.decode()
    assert page.count('data-testid="spent-rule"') == 3
    assert page.count('data-testid="stayed-from"') == 2
    counted = client.post("/marketing/segments/count/", form, HTTP_HX_REQUEST="true")
    assert "1 guest" in counted.content.decode() and "1 guests" not in counted.content.decode()
    # OR of the same rules: whoever stayed in either period, or said yes
    anyone = client.post("/marketing/segments/count/", {**form, "match": "any"})
    assert "3 guests" in anyone.content.decode()
    assert client.post("/marketing/segments/new/", form).status_code == 302
    segment = Segment.objects.get(name="Came back")
    assert [r["type"] for r in segment.rules] == ["stayed", "stayed", "consent"]


def test_a_bad_second_rule_is_refused_and_the_form_keeps_what_was_typed(client, hotel, manager):
    client.force_login(manager)
    response = client.post(
        "/marketing/segments/new/",
        {"name": "Big", "match": "all", "spent_min": "50", "spent_min_2": "-3"},
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "The amount spent cannot be negative." in text
    assert 'name="spent_min_2" inputmode="decimal" value="-3"' in text
    assert not Segment.objects.exists()
