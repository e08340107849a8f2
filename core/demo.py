"""Demo data for the core: the "Les Pins" organisation, its hotel and one login per role.

Idempotent: every row is found by a natural key (get_or_create / update_or_create)."""

from django.contrib.auth import get_user_model

from core.models import Membership, Organization, Property, Role, StaffProfile

DEMO_PASSWORD_SUFFIX = "-demo-2026"

# username, first name, last name, role, PIN (a manager's has 6 digits; the accountant and
# the administrator sign in with their password only: no PIN)
DEMO_STAFF = [
    ("reception", "Claire", "Martin", Role.FRONT_DESK, "1111"),
    ("serveur", "Hugo", "Bernard", Role.WAITER, "2222"),
    ("barman", "Léa", "Petit", Role.BARTENDER, "3333"),
    ("caisse", "Nora", "Robert", Role.CASHIER, "4444"),
    ("menage", "Inès", "Richard", Role.HOUSEKEEPING, "5555"),
    ("directeur", "Paul", "Durand", Role.MANAGER, "666666"),
    ("comptable", "Sophie", "Moreau", Role.ACCOUNTANT, ""),
    ("admin", "Marc", "Laurent", Role.ADMIN, ""),
]


def demo_password(username: str) -> str:
    return f"{username}{DEMO_PASSWORD_SUFFIX}"


def seed() -> dict:
    org, _ = Organization.objects.get_or_create(slug="les-pins", defaults={"name": "Les Pins SAS"})
    hotel, _ = Property.objects.update_or_create(
        slug="les-pins",
        defaults=dict(
            organization=org,
            name="Hôtel Les Pins",
            legal_name="Les Pins SAS",
            siret="85234567700011",
            vat_number="FR61852345677",
            address_line="12 avenue des Pins",
            postal_code="83990",
            city="Saint-Tropez",
            country="FR",
            email="contact@hotel-lespins.example",
            phone="+33 4 94 00 00 00",
            classification=Property.Classification.STARS_3,
            business_day_roll_hour=4,
            default_language="fr",
        ),
    )
    gite, _ = Property.objects.update_or_create(
        slug="mas-des-oliviers",
        defaults=dict(
            organization=org,
            name="Gîte Le Mas des Oliviers",
            legal_name="Les Pins SAS",
            siret="85234567700029",
            vat_number="FR61852345677",
            address_line="Chemin des Oliviers",
            postal_code="83350",
            city="Ramatuelle",
            classification=Property.Classification.STARS_3,
            default_language="fr",
        ),
    )
    User = get_user_model()
    logins = []
    for username, first, last, role, pin in DEMO_STAFF:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@hotel-lespins.example",
            },
        )
        if created:
            user.set_password(demo_password(username))
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.save()
        Membership.objects.update_or_create(user=user, property=hotel, defaults={"role": role})
        profile, _ = StaffProfile.objects.get_or_create(user=user)
        if not pin and profile.pin_hash:
            profile.pin_hash = ""  # a PIN left by an earlier demo
            profile.save()
        elif pin and not profile.check_pin(pin):
            profile.set_pin(pin)
            profile.save()
        logins.append((username, demo_password(username), role.label, pin or "—"))
    # the manager also runs the gîte: the property switcher has something to switch to
    directeur = User.objects.get(username="directeur")
    Membership.objects.update_or_create(
        user=directeur, property=gite, defaults={"role": Role.MANAGER}
    )
    return {"property": hotel, "other_property": gite, "logins": logins}
