from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pos"
    verbose_name = _("Point of sale")

    def ready(self) -> None:
        from billing.services.reconciliation import register_cash_drawer_source
        from core.navigation import NavItem, register
        from core.outlets import register_outlet_source
        from devices.services import register_receipt_source
        from pms.booking_links import register_booking_link
        from pms.services.online_payments import register_intent_listener
        from pos import gdpr, signals, terminal_cache  # noqa: F401  (cache invalidation, GDPR)
        from pos.selectors import outlet_choices, terminal_outlet_id
        from pos.services.cash import cash_drawers_for_day
        from pos.services.guest_orders import guest_order_intent_seen
        from pos.services.online_gift_cards import (
            gift_cards_booking_link,
            online_gift_card_intent_seen,
        )
        from pos.services.receipts import receipt_document_for_number

        # the staff screen's rights per outlet and the PIN switch's check (core.outlets)
        register_outlet_source(choices=outlet_choices, terminal_outlet=terminal_outlet_id)
        # billing's reconciliation reads the drawers' X/Z numbers (one source of truth)
        register_cash_drawer_source(cash_drawers_for_day)
        # a receipt reprinted from the printers' screen shows the sale as it stands now
        register_receipt_source(receipt_document_for_number)
        # a guest's order paid by card is served when the provider's webhook says so
        register_intent_listener(guest_order_intent_seen)
        # so is a gift card bought in the booking engine (each listener checks its own intents)
        register_intent_listener(online_gift_card_intent_seen)
        # and the booking engine's first page links to them when some are on sale
        register_booking_link(gift_cards_booking_link)

        register(
            NavItem(label=_("Counter"), url_name="pos:counter", capability="pos.sell", order=20)
        )
        register(NavItem(label=_("Tables"), url_name="pos:floor", capability="pos.sell", order=21))
        register(
            NavItem(
                label=_("Room upgrade"), url_name="pos:upgrade", capability="pos.upgrade", order=24
            )
        )
        register(
            NavItem(
                label=_("Kitchen display"),
                url_name="pos:kitchen_default",
                capability="kitchen.view",
                order=22,
            )
        )
        register(
            NavItem(label=_("Cash drawer"), url_name="pos:cash", capability="pos.cash", order=23)
        )
        register(
            NavItem(
                label=_("Gift cards online"),
                url_name="gift_cards_online:manage",
                capability="manage",
                order=82,
            )
        )
        register(
            NavItem(label=_("Terminals"), url_name="pos:terminals", capability="manage", order=80)
        )
        register(
            NavItem(label=_("Outlets"), url_name="outlets:list", capability="manage", order=79)
        )
        register(
            NavItem(
                label=_("Offline devices"),
                url_name="pos:offline_devices",
                capability="manage",
                order=81,
            )
        )
