from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PmsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pms"

    def ready(self) -> None:
        from billing.services.invoice_documents import invoice_email_text_register
        from core.models import Role
        from core.navigation import NavItem, register, register_landing
        from pms import gdpr  # noqa: F401  (GDPR receivers of crm.signals)
        from pms.services.guest_emails import invoice_email_text

        # a stay's invoice e-mail in the property's wording (its guest e-mail template)
        invoice_email_text_register(invoice_email_text)

        register(
            NavItem(
                label=_("Front desk"),
                url_name="frontdesk:dashboard",
                capability="pms.frontdesk",
                order=10,
            )
        )
        register(
            NavItem(
                label=_("Room grid"),
                url_name="frontdesk:grid",
                capability="pms.frontdesk",
                order=11,
            )
        )
        register(
            NavItem(
                label=_("Housekeeping"),
                url_name="housekeeping:board",
                capability="pms.housekeeping",
                order=12,
            )
        )
        register(
            NavItem(
                label=_("Guest e-mails"),
                url_name="frontdesk:guest_emails",
                capability="manage",
                order=13,
            )
        )
        register(NavItem(_("Rates calendar"), "rates:calendar", "manage", order=500))
        register(NavItem(_("Rooms"), "rooms:list", "manage", order=505))
        register_landing(Role.HOUSEKEEPING, "housekeeping:board")
