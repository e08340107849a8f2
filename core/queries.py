"""Small query helpers shared by the apps."""

from django.db.models import Model, QuerySet


def one_by_key(queryset: QuerySet) -> Model | None:
    """The row a lookup by a unique key finds, or None, without an ORDER BY: `first()` adds
    the model's default ordering, which costs a compile on every hot lookup and, when it
    names a foreign key, joins that table (and a FOR UPDATE would lock its row too)."""
    return next(iter(queryset.order_by()[:1]), None)
