"""Issue 21: the manager creates and changes the companies (corporate accounts) on
/manage/companies/ — legal identity, address, billing e-mail, negotiated rate plans —
without the Django admin; another organisation's company is a 404."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEntry, Role
from crm.models import Company
from inventory.models import RatePlan
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Alpes Conseil",
    "vat_number": "FR44 732829320",
    "siren": "732 829 320",
    "siret": "73282932000074",
    "address": "3 rue du Lac",
    "postal_code": "74000",
    "city": "Annecy",
    "country": "fr",
    "email": "factures@alpes-conseil.fr",
}


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def test_a_manager_creates_a_company_with_its_negotiated_plan_and_it_is_audited(
    client, boss, hotel
):
    corporate = RatePlan.objects.create(
        property=hotel, code="corp", name_fr="Entreprise", is_public=False
    )
    response = client.post(reverse("companies:new"), {**NEW, "plans": [corporate.pk]})
    assert response.status_code == 302
    company = Company.objects.get(organization=hotel.organization)
    assert company.siren == "732829320" and company.vat_number == "FR44732829320"
    assert list(company.rate_plans.all()) == [corporate]
    page = client.get(reverse("companies:list"), {"q": "alpes"}).content.decode()
    assert "Alpes Conseil" in page and "Entreprise" in page and "Companies" in page
    assert AuditEntry.objects.get(action="crm.company.created").actor == boss

    edit = {**NEW, "email": "compta@alpes-conseil.fr"}  # the plan unticked
    assert client.post(reverse("companies:edit", args=[company.pk]), edit).status_code == 302
    company.refresh_from_db()
    assert company.email == "compta@alpes-conseil.fr" and not company.rate_plans.exists()
    changed = AuditEntry.objects.get(action="crm.company.changed")
    assert changed.data["before"] == {"email": "factures@alpes-conseil.fr"}
    plans = AuditEntry.objects.filter(action="crm.company.rate_plans_changed").latest("pk")
    assert plans.data["before"] == {"rate_plans": "corp"} and plans.data["after"] == {
        "rate_plans": ""
    }


@pytest.mark.parametrize(
    "change, message",
    [
        ({"name": " "}, ""),
        ({"vat_number": "FR00732829320"}, "TVA"),
        ({"siret": "12345678900011"}, "SIREN"),
        ({"email": "pas-un-email"}, ""),
        ({"country": "France"}, "2 caractères"),
    ],
)
def test_bad_companies_are_refused_in_french_and_nothing_is_saved(
    client, boss, hotel, change, message
):
    client.cookies["django_language"] = "fr"
    response = client.post(reverse("companies:new"), {**NEW, **change})
    assert response.status_code == 422
    assert 'data-testid="form-error"' in response.content.decode()
    assert message in response.content.decode()
    assert not Company.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="crm.company").exists()


def test_another_organisations_company_is_a_404_and_a_waiter_is_refused(
    client, boss, hotel, other_hotel
):
    theirs = Company.objects.create(organization=other_hotel.organization, name="Concurrent SA")
    their_plan = RatePlan.objects.create(property=other_hotel, code="x", name_fr="X")
    assert client.get(reverse("companies:edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("companies:edit", args=[theirs.pk]), NEW).status_code == 404
    assert "Concurrent SA" not in client.get(reverse("companies:list")).content.decode()
    # another property's plan cannot be ticked
    response = client.post(reverse("companies:new"), {**NEW, "plans": [their_plan.pk]})
    assert response.status_code == 422
    assert not Company.objects.filter(organization=hotel.organization).exists()
    theirs.refresh_from_db()
    assert theirs.name == "Concurrent SA"

    client.force_login(make_staff(hotel, Role.WAITER, username="w", pin="2222"))
    assert client.post(reverse("companies:new"), NEW).status_code in (302, 403)
    assert not Company.objects.filter(organization=hotel.organization).exists()


def test_the_list_costs_the_same_queries_for_3_or_30_companies(client, boss, hotel):
    plan = RatePlan.objects.create(property=hotel, code="corp", name_fr="Entreprise")

    def add(n):
        for i in range(n):
            company = Company.objects.create(organization=hotel.organization, name=f"Société {i}")
            company.rate_plans.add(plan)

    add(3)
    client.get(reverse("companies:list"))  # the session's first request writes it
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("companies:list"))
    add(27)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("companies:list")).content.decode()
    assert page.count("Entreprise") >= 30
    assert len(many) == len(few)
