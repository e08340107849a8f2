"""What each role may use. Views and API endpoints ask for a capability, never a role name,
so that adding a role means editing this table only."""

from core.models import Role

# capability -> roles that have it
CAPABILITIES: dict[str, frozenset[str]] = {
    "pos.sell": frozenset({Role.WAITER, Role.BARTENDER, Role.CASHIER, Role.MANAGER, Role.ADMIN}),
    "pos.cash": frozenset({Role.CASHIER, Role.BARTENDER, Role.MANAGER, Role.ADMIN}),
    # the day's Z report over every till, read (not printed) by the accountant too
    "pos.z_report": frozenset(
        {Role.CASHIER, Role.BARTENDER, Role.MANAGER, Role.ACCOUNTANT, Role.ADMIN}
    ),
    "pos.approve": frozenset({Role.MANAGER, Role.ADMIN}),
    # moving an in-house guest to a better room for a fee, at a till: the cashier (the lobby
    # or reception till) and the managers; not a waiter or a bartender
    "pos.upgrade": frozenset({Role.CASHIER, Role.MANAGER, Role.ADMIN}),
    "pos.price_override": frozenset({Role.MANAGER, Role.ADMIN}),
    "kitchen.view": frozenset(
        {Role.WAITER, Role.BARTENDER, Role.CASHIER, Role.MANAGER, Role.ADMIN}
    ),
    "pms.frontdesk": frozenset({Role.FRONT_DESK, Role.MANAGER, Role.ADMIN}),
    "pms.housekeeping": frozenset({Role.HOUSEKEEPING, Role.FRONT_DESK, Role.MANAGER, Role.ADMIN}),
    # a housekeeping supervisor's inspection (a room cleaned is checked before it is sold)
    "pms.inspect": frozenset({Role.FRONT_DESK, Role.MANAGER, Role.ADMIN}),
    "inventory.sell_online": frozenset({Role.FRONT_DESK, Role.MANAGER, Role.ADMIN}),
    "billing.read": frozenset({Role.FRONT_DESK, Role.MANAGER, Role.ACCOUNTANT, Role.ADMIN}),
    # a guest's e-mail, phone and the notes of a stay (personal data)
    "guests.contact": frozenset({Role.FRONT_DESK, Role.MANAGER, Role.ACCOUNTANT, Role.ADMIN}),
    "billing.accounting": frozenset({Role.ACCOUNTANT, Role.MANAGER, Role.ADMIN}),
    # transfer a departing guest's balance to a company's account (city ledger)
    "billing.city_ledger": frozenset({Role.ACCOUNTANT, Role.MANAGER, Role.ADMIN}),
    "manage": frozenset({Role.MANAGER, Role.ADMIN}),
    "manage.staff": frozenset({Role.MANAGER, Role.ADMIN}),
    "admin": frozenset({Role.ADMIN}),
    "api.use": frozenset(
        {
            Role.FRONT_DESK,
            Role.MANAGER,
            Role.ADMIN,
            Role.CASHIER,
            Role.WAITER,
            Role.BARTENDER,
            Role.ACCOUNTANT,
        }
    ),
}


def role_has(role: str | None, capability: str) -> bool:
    if role is None:
        return False
    try:
        return role in CAPABILITIES[capability]
    except KeyError:
        raise KeyError(f"Unknown capability {capability!r}")


# the largest discount (percent) a role may give without a manager's PIN
DISCOUNT_LIMITS: dict[str, int] = {
    Role.WAITER: 10,
    Role.BARTENDER: 10,
    Role.CASHIER: 10,
    Role.MANAGER: 100,
    Role.ADMIN: 100,
}


def discount_limit(role: str | None, personal: int | None = None) -> int:
    """The person's own limit when the manager set one (core.Membership.discount_limit),
    else their role's."""
    if personal is not None:
        return personal
    return DISCOUNT_LIMITS.get(role, 0) if role else 0


# Roles that work the floor, the bar or the desk: only they appear on a shared terminal's PIN
# list and may open a terminal session (an administrator or an accountant signs in with the
# password; a superuser never appears, whatever their role).
OPERATIONAL_ROLES: frozenset[str] = frozenset(
    {
        Role.WAITER,
        Role.BARTENDER,
        Role.CASHIER,
        Role.FRONT_DESK,
        Role.HOUSEKEEPING,
        Role.MANAGER,
    }
)

# Roles that grant management rights: their PIN has 6 digits (it approves voids and refunds).
MANAGER_ROLES: frozenset[str] = CAPABILITIES["manage"] | CAPABILITIES["pos.approve"]
MANAGER_PIN_DIGITS = 6

# What a terminal session (opened by a PIN) may use: the outlet's screens on a POS terminal,
# and the desk's operational screens on a device bound to the whole property. Everything
# else (back office, exports, accounting, closures, staff, admin) needs the password.
TERMINAL_CAPABILITIES_POS: frozenset[str] = frozenset(
    {"pos.sell", "pos.cash", "pos.approve", "pos.upgrade", "kitchen.view"}
)
TERMINAL_CAPABILITIES_PROPERTY: frozenset[str] = TERMINAL_CAPABILITIES_POS | {
    "pms.frontdesk",
    "pms.housekeeping",
    "pms.inspect",
}
