from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from billing import gdpr, signals  # noqa: F401  (JET sign-in/sign-out, GDPR receivers)
        from billing.services import signing
        from core.backups import Secret, secret_register
        from core.navigation import NavItem, register

        # the key that signs the journal's checkpoints lives outside the database: a backup
        # carries it, a restore puts it back (core.backups)
        secret_register(
            Secret(
                name="fiscal-signing-key.pem",
                read=signing.key_pem_for_backup,
                install=signing.key_install_from_backup,
            )
        )

        register(
            NavItem(
                label=_("Accounting"),
                url_name="billing:accounting",
                capability="billing.accounting",
                order=70,
            )
        )
        register(
            NavItem(
                label=_("Chart of accounts"),
                url_name="chart:edit",
                capability="billing.accounting",
                order=71,
            )
        )
        register(
            NavItem(
                label=_("Tourist tax"),
                url_name="tourist_tax:list",
                capability="manage",
                order=640,
            )
        )
        register(
            NavItem(
                label=_("Open balances"),
                url_name="billing:open_balances",
                capability="billing.read",
                order=72,
            )
        )
