"""Demo guests of Hôtel Les Pins: about forty French guests and one corporate customer.
Idempotent: guests are found again by e-mail, the company by name."""

from crm.models import Company, Guest
from crm.services import guest_create

FIRST_NAMES = [
    "Camille", "Louis", "Emma", "Gabriel", "Léa", "Raphaël", "Chloé", "Arthur", "Manon", "Jules",
    "Inès", "Hugo", "Sarah", "Lucas", "Jade", "Nathan", "Alice", "Théo", "Lina", "Tom",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
    "Guerin", "Muller", "Henry", "Roussel", "Nicolas",
]  # fmt: skip

ASCII = str.maketrans("éèêëàâîïôûùç", "eeeeaaiiouuc")


def seed(context: dict) -> None:
    prop = context["property"]
    org = prop.organization
    # a business customer: its SIREN and VAT number make its invoices Factur-X e-invoices
    company, _ = Company.objects.update_or_create(
        organization=org,
        name="Provence Événements SARL",
        defaults={
            "siren": "812345676",
            "siret": "81234567600017",
            "vat_number": "FR19812345676",
            "email": "compta@provence-evenements.example",
            "address": "4 quai de l'Épi",
            "postal_code": "83990",
            "city": "Saint-Tropez",
            "country": "FR",
        },
    )
    plans = context.get("rate_plans") or {}
    if "entreprise" in plans:
        company.rate_plans.add(plans["entreprise"])
    guests = []
    for i, last in enumerate(LAST_NAMES):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        email = f"{first}.{last}".lower().translate(ASCII) + "@exemple.fr"
        guests.append(
            Guest.objects.filter(organization=org, email=email).order_by("pk").first()
            or guest_create(
                organization=org,
                first_name=first,
                last_name=last,
                email=email,
                phone=f"+33 6 {10 + i:02d} {20 + i:02d} {30 + i:02d} {40 + i:02d}",
                language="en" if i % 7 == 3 else "fr",
                company=company if i % 10 == 0 else None,
            )
        )
    context["guests"] = guests
    context["company"] = company
