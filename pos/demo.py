"""Demo outlets and terminals of Hôtel Les Pins. Idempotent: outlets by code, terminals by
(outlet, name)."""

from pos.models import Outlet, Terminal

# code, name, kind, terminals
OUTLETS = [
    ("bar-piscine", "Bar de la Piscine", Outlet.Kind.BAR, ["Comptoir", "Tablette terrasse"]),
    ("restaurant", "Restaurant La Pinède", Outlet.Kind.RESTAURANT, ["Caisse", "Tablette salle"]),
    ("spa", "Spa Les Pins", Outlet.Kind.SPA, ["Accueil spa"]),
    ("boutique", "Boutique", Outlet.Kind.SHOP, ["Caisse boutique"]),
    ("reception", "Réception", Outlet.Kind.RECEPTION, ["Comptoir réception"]),
    ("piscine", "Piscine", Outlet.Kind.POOL, ["Entrée piscine"]),
]


def seed(context: dict) -> None:
    prop = context["property"]
    terminals = {}
    for code, name, kind, terminal_names in OUTLETS:
        outlet, _ = Outlet.objects.update_or_create(
            property=prop, code=code, defaults={"name": name, "kind": kind, "is_active": True}
        )
        for terminal_name in terminal_names:
            terminal = Terminal.objects.filter(outlet=outlet, name=terminal_name).first()
            if terminal is None:
                terminal = Terminal.objects.create(property=prop, outlet=outlet, name=terminal_name)
            terminals[(code, terminal_name)] = terminal
    context["pos_terminals"] = terminals
