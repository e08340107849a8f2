"""Links the booking engine's first page shows beside the room search, given by the apps
above pms (a gift card bought online is pos's sale): each registers, at start-up, a function
`(property, language) -> (label, url) | None`. pms never imports them."""

from collections.abc import Callable

_sources: list[Callable] = []


def register_booking_link(source: Callable) -> None:
    if source not in _sources:
        _sources.append(source)


def booking_links(*, property, language: str) -> list[tuple[str, str]]:
    links = []
    for source in _sources:
        link = source(property, language)
        if link:
            links.append(link)
    return links
