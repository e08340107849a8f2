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
    company, _ = Company.objects.get_or_create(
        organization=org,
        name="Provence Événements SARL",
        defaults={
            "siret": "81234567800019",
            "vat_number": "FR45812345678",
            "email": "compta@provence-evenements.example",
            "address": "4 quai de l'Épi\n83990 Saint-Tropez",
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
