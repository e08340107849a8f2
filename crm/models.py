"""Guests and companies, organisation-wide: one profile across stays and outlets (CRM-1)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Organization, TimeStampedModel


def validate_siren(value: str) -> None:
    """A SIREN is 9 digits with a Luhn check digit (the key of a French company)."""
    from stdnum.fr import siren

    if value and not siren.is_valid(value):
        raise ValidationError(_("A SIREN is 9 digits with a valid check digit."))


def validate_vat_number(value: str) -> None:
    """A French VAT number (FR + key + SIREN) must have its right key; others are taken as
    typed (their formats vary by country)."""
    from stdnum.fr import tva

    if value[:2].upper() == "FR" and not tva.is_valid(value):
        raise ValidationError(
            _("This French VAT number is not valid (FR, a 2-character key, the SIREN).")
        )


class Company(TimeStampedModel):
    """A business customer: its staff may be entitled to corporate rate plans (PRC-3); its
    SIREN or VAT number makes its invoices Factur-X e-invoices (BIL-8)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="companies"
    )
    name = models.CharField(_("name"), max_length=200)
    vat_number = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[validate_vat_number]
    )
    siren = models.CharField(
        _("SIREN"),
        max_length=9,
        blank=True,
        validators=[validate_siren],
        help_text=_("9 digits; taken from the SIRET when left empty."),
    )
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    address = models.TextField(_("address"), blank=True, help_text=_("street, one per line"))
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    email = models.EmailField(_("e-mail"), blank=True)
    rate_plans = models.ManyToManyField(
        "inventory.RatePlan",
        blank=True,
        related_name="companies",
        verbose_name=_("negotiated rate plans"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.siren and self.siret and self.siret[:9] != self.siren:
            raise ValidationError({"siret": _("The SIRET must start with the company's SIREN.")})

    @property
    def legal_id(self) -> str:
        """The SIREN, typed or read from the SIRET."""
        return self.siren or self.siret[:9]


class Guest(TimeStampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="guests")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="fr"
    )
    country = models.CharField(_("country"), max_length=2, blank=True)
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="guests"
    )
    notes = models.TextField(_("notes"), blank=True)
    marketing_opt_in = models.BooleanField(_("accepts marketing e-mails"), default=False)

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("guest")
        verbose_name_plural = _("guests")
        indexes = [
            models.Index(fields=["organization", "last_name"]),
            models.Index(fields=["organization", "email"]),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
