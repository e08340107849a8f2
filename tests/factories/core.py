import factory
from django.contrib.auth import get_user_model

from core.models import Membership, Organization, Property, Role, StaffProfile


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class PropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Property

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Hôtel {n}")
    slug = factory.Sequence(lambda n: f"hotel-{n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} SARL")
    siret = "12345678900012"
    vat_number = "FR12123456789"
    city = "Nice"
    classification = Property.Classification.STARS_3


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", "pw-secret-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    property = factory.SubFactory(PropertyFactory)
    role = Role.WAITER


def make_staff(property: Property, role: str, *, username: str | None = None, pin: str = ""):
    """A user working at `property` with `role` (and a PIN when given)."""
    kwargs = {"username": username} if username else {}
    user = UserFactory(**kwargs)
    MembershipFactory(user=user, property=property, role=role)
    if pin:
        profile, _ = StaffProfile.objects.get_or_create(user=user)
        profile.set_pin(pin)
        profile.save()
    return user
