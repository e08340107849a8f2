"""Issue 21: the manager creates and changes rate plans on /manage/rates/plans/ — their
channels, guarantee and cancellation terms — without the Django admin."""

import pytest
from django.urls import reverse

from core.models import AuditEntry, Role
from inventory.models import RatePlan
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db

NEW = {
    "code": "flex",
    "name_fr": "Flexible",
    "name_en": "Flexible",
    "priority": "5",
    "channels": ["booking_engine", "front_desk"],
    "is_public": "on",
    "is_active": "on",
    "guarantee": "deposit",
    "deposit_percent": "30",
    "deposit_days_before": "7",
    "cancel_free_days": "2",
    "cancel_fee_nights": "1",
}


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def test_a_manager_creates_a_rate_plan_with_its_terms_and_the_change_is_audited(
    client, boss, hotel
):
    response = client.post(reverse("rates:plan_new"), NEW)
    assert response.status_code == 302
    plan = RatePlan.objects.get(property=hotel, code="flex")
    assert plan.channels == ["front_desk", "booking_engine"]
    assert plan.guarantee == "deposit" and plan.deposit_percent == 30
    assert plan.cancel_free_days == 2 and plan.cancel_fee_nights == 1
    page = client.get(reverse("rates:plans")).content.decode()
    assert "Flexible" in page and "30" in page  # its terms in words on the list
    entry = AuditEntry.objects.get(action="inventory.rate_plan.created")
    assert entry.actor == boss and entry.data["after"]["code"] == "flex"

    edit = {**NEW, "cancel_free_days": "5", "is_active": ""}
    assert client.post(reverse("rates:plan_edit", args=[plan.pk]), edit).status_code == 302
    plan.refresh_from_db()
    assert plan.cancel_free_days == 5 and not plan.is_active
    changed = AuditEntry.objects.get(action="inventory.rate_plan.changed")
    assert changed.data["before"] == {"cancel_free_days": 2, "is_active": True}
    assert changed.data["after"] == {"cancel_free_days": 5, "is_active": False}
    assert "Rate plans" in client.get(reverse("rates:calendar")).content.decode()
    history = client.get(reverse("manage:history")).content.decode()
    assert "inventory.rate_plan.changed" in history and "cancel_free_days" in history


@pytest.mark.parametrize(
    "change, message",
    [
        ({"deposit_percent": "", "deposit_nights": ""}, "Un acompte a besoin de son montant"),
        ({"deposit_percent": "120"}, "Un pourcentage est compris entre 0 et 100"),
        ({"cancel_free_hours": "48"}, "en jours ou en heures"),
        ({"guarantee": "card"}, "que si la garantie est un acompte"),
        ({"name_fr": "  "}, ""),
    ],
)
def test_contradictory_terms_are_refused_in_french_and_nothing_is_saved(
    client, boss, hotel, change, message
):
    client.cookies["django_language"] = "fr"
    response = client.post(reverse("rates:plan_new"), {**NEW, **change})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not RatePlan.objects.filter(property=hotel, code="flex").exists()
    assert not AuditEntry.objects.filter(action__startswith="inventory.rate_plan").exists()


def test_a_code_is_unique_and_chosen_once(client, boss, hotel):
    public = RatePlan.objects.create(property=hotel, code="public", name_fr="Public")
    response = client.post(reverse("rates:plan_new"), {**NEW, "code": "public"})
    assert response.status_code == 422 and "already used" in response.content.decode()
    # the code field is not editable: a posted code is ignored, the plan keeps its own
    response = client.post(reverse("rates:plan_edit", args=[public.pk]), {**NEW, "code": "x"})
    assert response.status_code == 302
    public.refresh_from_db()
    assert public.code == "public" and public.name_fr == "Flexible"


def test_another_propertys_plan_is_a_404_and_a_waiter_is_refused(client, boss, hotel, other_hotel):
    theirs = RatePlan.objects.create(property=other_hotel, code="web", name_fr="Tarif Ailleurs")
    assert client.get(reverse("rates:plan_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("rates:plan_edit", args=[theirs.pk]), NEW).status_code == 404
    assert "Tarif Ailleurs" not in client.get(reverse("rates:plans")).content.decode()
    theirs.refresh_from_db()
    assert theirs.name_fr == "Tarif Ailleurs"

    waiter = make_staff(hotel, Role.WAITER, username="w", pin="2222")
    client.force_login(waiter)
    assert client.get(reverse("rates:plans")).status_code in (302, 403)
    assert client.post(reverse("rates:plan_new"), NEW).status_code in (302, 403)
    assert not RatePlan.objects.filter(code="flex").exists()
