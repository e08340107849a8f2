"""What core knows of outlets without importing pos (a higher layer): pos registers, at
start-up, how to list a property's outlets and which outlet a terminal belongs to, so the
staff screen offers rights per outlet and the PIN switch enforces them (POS-1)."""

from collections.abc import Callable

_outlet_choices: Callable[[int], list[tuple[int, str]]] | None = None
_terminal_outlet: Callable[[int], int | None] | None = None


def register_outlet_source(
    *,
    choices: Callable[[int], list[tuple[int, str]]],
    terminal_outlet: Callable[[int], int | None],
) -> None:
    global _outlet_choices, _terminal_outlet
    _outlet_choices, _terminal_outlet = choices, terminal_outlet


def outlet_choices(property_id: int) -> list[tuple[int, str]]:
    """[(outlet id, name)] of a property; empty when no POS app is installed."""
    return _outlet_choices(property_id) if _outlet_choices else []


def binding_outlet_id(binding: dict | None) -> int | None:
    """The outlet a bound terminal belongs to (None: a property-wide device, or unbound)."""
    if not binding:
        return None
    outlet_id = binding.get("outlet_id")
    if isinstance(outlet_id, int):
        return outlet_id
    terminal_id = binding.get("terminal_id")
    if isinstance(terminal_id, int) and _terminal_outlet is not None:
        return _terminal_outlet(terminal_id)
    return None
