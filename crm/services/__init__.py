"""crm's writes: guests and companies (`guests`), gift cards and vouchers (`gift_cards`),
loyalty points (`loyalty`). The guest services are re-exported here for existing callers."""

from crm.services.guests import LANGUAGE_CODES, guest_create, guest_identity_update

__all__ = ["LANGUAGE_CODES", "guest_create", "guest_identity_update"]
