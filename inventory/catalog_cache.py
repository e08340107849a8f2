"""A per-property token that changes whenever what the property sells, or its price, changes
(products, categories, modifiers, prices, rate plans, seasons, offers, offer stock). Caches
derived from the catalog (the waiter's menu, prices already quoted) put it in their keys, so
one invalidation empties them all and nothing has to list their keys."""

from core.cache_tokens import current_token, drop_token


def _key(property_id: int) -> str:
    return f"inventory:catalog-version:{property_id}"


def catalog_version(*, property_id: int) -> str:
    """The property's current catalog token (a new one after each change). Read it *before*
    reading the rows a cached value is built from, so a value built during a change is
    stored under a token that is already gone."""
    return current_token(_key(property_id))


def catalog_changed(*, property_id: int) -> None:
    """Drop the token now and again after commit (a reader during the writing transaction
    would otherwise cache the old rows under the new token)."""
    drop_token(_key(property_id))
