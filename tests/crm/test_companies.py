"""A business customer's legal identity: what makes its invoices Factur-X must be right."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from crm.models import Company

pytestmark = pytest.mark.django_db


def company(hotel, **fields):
    return Company(organization=hotel.organization, name="Provence Événements SARL", **fields)


def test_a_valid_identity_passes_and_the_siren_comes_from_the_siret(hotel):
    acme = company(hotel, siret="81234567600017", vat_number="FR19812345676")
    acme.full_clean()
    assert acme.legal_id == "812345676" and acme.country == "FR"


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"siren": "812345678"}, "siren", "A SIREN is 9 digits with a valid check digit."),
        ({"siren": "81234567"}, "siren", "A SIREN is 9 digits with a valid check digit."),
        (
            {"vat_number": "FR45812345678"},
            "vat_number",
            "This French VAT number is not valid (FR, a 2-character key, the SIREN).",
        ),
        (
            {"siren": "812345676", "siret": "85234567700011"},
            "siret",
            "The SIRET must start with the company's SIREN.",
        ),
    ],
)
def test_a_wrong_identity_is_refused_with_the_reason(hotel, fields, field, message):
    with pytest.raises(ValidationError) as refused:
        company(hotel, **fields).full_clean()
    assert refused.value.message_dict[field] == [message]


def test_the_reason_is_in_french_for_a_french_screen(hotel):
    with pytest.raises(ValidationError) as refused:
        company(hotel, siren="812345678").full_clean()
    with translation.override("fr"):
        assert [str(m) for m in refused.value.message_dict["siren"]] == [
            "Un SIREN compte 9 chiffres avec une clé de contrôle valide."
        ]


def test_a_foreign_vat_number_is_kept_as_typed(hotel):
    company(hotel, vat_number="CHE-123.456.788 MWST", country="CH").full_clean()
