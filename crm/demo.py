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
    _seed_campaign(prop)


def _seed_campaign(prop) -> None:
    """Story S6 on the demo: a segment (more than 50 € of alcohol during the stay, consent)
    and its armed campaign, a spa voucher the day after check-out. Found again by name."""
    from crm.models import Campaign, Segment
    from crm.services.campaigns import campaign_save, segment_save

    segment = Segment.objects.filter(property=prop, name="Bar > 50 € pendant le séjour").first()
    if segment is None:
        segment = segment_save(
            property=prop,
            name="Bar > 50 € pendant le séjour",
            match="all",
            rules=[
                {"type": "spent", "min": "50", "category": "alcohol", "during_last_stay": True},
                {"type": "consent"},
            ],
            actor=None,
        )
    if not Campaign.objects.filter(property=prop, name="Un soin au spa après le séjour").exists():
        campaign_save(
            property=prop,
            actor=None,
            name="Un soin au spa après le séjour",
            segment_id=segment.pk,
            trigger=Campaign.Trigger.AFTER_CHECK_OUT,
            trigger_days="1",
            subject_fr="Un moment au spa, {first_name} ?",
            body_fr=(
                "Merci de votre séjour, {first_name} ! Voici un bon de {voucher_value} pour "
                "un soin au spa, valable jusqu'au {voucher_expires} : {voucher_code}.\n{link}"
            ),
            subject_en="Time for the spa, {first_name}?",
            body_en=(
                "Thank you for staying with us, {first_name}! Here is a {voucher_value} voucher "
                "for a spa treatment, valid until {voucher_expires}: {voucher_code}.\n{link}"
            ),
            voucher_amount="20",
            voucher_validity_days="90",
            voucher_categories=["services"],
            send_rate_per_minute="30",
        )
