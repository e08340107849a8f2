"""The navigation each role sees. Apps register their screens here when they land, so the
menu never links to a page that does not exist."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

from core.roles import role_has


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    capability: str
    icon: str = ""
    order: int = 100


_REGISTRY: list[NavItem] = []
# items_for's answers: the registry, the roles' capabilities and the URLs do not change while
# a process runs, and every page a tablet draws (each tap's order column too) asked again:
# a sort and a reverse() per screen, 0.3 ms of each tap's CPU. Keyed by what the answer
# reads (the sort is by label, in the request's language); emptied when a screen registers.
_MENUS: dict[tuple, tuple[dict, ...]] = {}
# role -> the screen it lands on after signing in (a role that works one screen all day)
_LANDINGS: dict[str, str] = {}


def register(item: NavItem) -> None:
    if item not in _REGISTRY:
        _REGISTRY.append(item)
        _MENUS.clear()


def items_for(role: str | None, allowed: frozenset[str] | None = None) -> list[dict]:
    """The menu of `role`; `allowed` narrows it to these capabilities (a PIN session)."""
    urls = (get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    key = (role, allowed, get_language(), *urls)
    menu = _MENUS.get(key)
    if menu is None:
        menu = _MENUS[key] = tuple(_items_for(role, allowed))
    # copies: a caller may mark or change its items (split_menu copies them anyway)
    return [dict(item) for item in menu]


def _items_for(role: str | None, allowed: frozenset[str] | None) -> list[dict]:
    out = []
    for item in sorted(_REGISTRY, key=lambda i: (i.order, str(i.label))):
        if not role_has(role, item.capability):
            continue
        if allowed is not None and item.capability not in allowed:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"label": item.label, "url": url, "icon": item.icon})
    return out


# a menu longer than this keeps its first NAV_INLINE screens in the bar and the others behind
# "More": the manager's fifty screens never push a tablet's bar sideways (docs/architecture.md)
NAV_MAX_INLINE = 8
NAV_INLINE = 4
# a phone's bar keeps this many (the others behind "More"), whatever the menu's length
NAV_PHONE = 2


def split_menu(items: list[dict], path: str) -> tuple[list[dict], list[dict]]:
    """The bar's items and the "More" menu's, each marked `active` when it is `path`'s
    screen. A menu that fits (NAV_MAX_INLINE or fewer) has no "More"."""
    marked = [{**item, "active": item["url"] == path} for item in items]
    if len(marked) <= NAV_MAX_INLINE:
        return marked, []
    return marked[:NAV_INLINE], marked[NAV_INLINE:]


def register_landing(role: str, url_name: str) -> None:
    """`role` lands on `url_name` instead of the home tiles (housekeeping on its board)."""
    _LANDINGS[role] = url_name


def landing_for(role: str | None, allowed: frozenset[str] | None = None) -> str | None:
    """The URL `role` lands on, if it has one it may open (a PIN session included)."""
    url_name = _LANDINGS.get(role or "")
    if url_name is None:
        return None
    item = next((i for i in _REGISTRY if i.url_name == url_name), None)
    if item is None or not role_has(role, item.capability):
        return None
    if allowed is not None and item.capability not in allowed:
        return None
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None
