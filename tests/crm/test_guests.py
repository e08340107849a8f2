"""Guest profiles: validation, and a profile per booker even when e-mails match (CRM-1)."""

import pytest

from core.exceptions import InvalidInput
from core.models import AuditEntry
from crm.models import Company, Guest
from crm.selectors import guests_sharing_email
from crm.services import guest_create
from tests.factories.core import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_guest_create_stores_a_clean_profile(hotel):
    # when
    guest = guest_create(
        organization=hotel.organization,
        first_name=" Léa ",
        last_name=" Dupont ",
        email="Lea.Dupont@Exemple.FR",
        phone="+33 6 12 34 56 78",
        language="en",
    )
    # then
    guest.refresh_from_db()
    assert (guest.first_name, guest.last_name, guest.email) == (
        "Léa",
        "Dupont",
        "lea.dupont@exemple.fr",
    )
    assert guest.language == "en"
    assert (
        AuditEntry.objects.filter(action="crm.guest.created", target_id=str(guest.pk)).count() == 1
    )


def test_same_email_in_the_organisation_is_a_new_profile_with_the_typed_identity(hotel):
    # given
    first = guest_create(organization=hotel.organization, last_name="Dupont", email="a@exemple.fr")
    # when
    again = guest_create(
        organization=hotel.organization,
        first_name="Léa",
        last_name="Autre",
        email="A@exemple.fr",
        phone="0600000000",
    )
    # then: a profile of its own, the first one untouched, the match a suggestion
    assert again.pk != first.pk
    assert (again.first_name, again.last_name, again.phone) == ("Léa", "Autre", "0600000000")
    first.refresh_from_db()
    assert (first.first_name, first.last_name, first.phone) == ("", "Dupont", "")
    assert list(guests_sharing_email(guest=again)) == [first]
    assert list(guests_sharing_email(guest=first)) == [again]


def test_same_email_in_another_organisation_is_another_guest(hotel):
    other_org = OrganizationFactory()
    a = guest_create(organization=hotel.organization, last_name="Dupont", email="a@exemple.fr")
    b = guest_create(organization=other_org, last_name="Dupont", email="a@exemple.fr")
    assert a.pk != b.pk


def test_guests_without_email_are_never_merged(hotel):
    guest_create(organization=hotel.organization, last_name="Dupont")
    guest_create(organization=hotel.organization, last_name="Dupont")
    assert Guest.objects.count() == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"last_name": "  "},
        {"last_name": "Dupont", "email": "not-an-email"},
        {"last_name": "x" * 101},
    ],
)
def test_invalid_guest_is_refused_and_nothing_written(hotel, kwargs):
    with pytest.raises(InvalidInput):
        guest_create(organization=hotel.organization, **kwargs)
    assert Guest.objects.count() == 0
    assert not AuditEntry.objects.exists()


def test_company_of_another_organisation_is_refused(hotel):
    company = Company.objects.create(organization=OrganizationFactory(), name="Ailleurs SA")
    with pytest.raises(InvalidInput):
        guest_create(organization=hotel.organization, last_name="Dupont", company=company)
    assert Guest.objects.count() == 0


def test_unknown_language_falls_back_to_french(hotel):
    guest = guest_create(organization=hotel.organization, last_name="Dupont", language="xx")
    assert guest.language == "fr"
