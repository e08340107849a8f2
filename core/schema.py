"""OpenAPI schema generation settings (drf-spectacular)."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """Name nested `InputSerializer`/`OutputSerializer` components after their view
    (`QuoteApi.OutputSerializer` → `QuoteOutput`) so the schema has no collisions."""

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = serializer if isinstance(serializer, type) else type(serializer)
        outer, _, inner = cls.__qualname__.rpartition(".")
        if outer and "." not in outer and inner.endswith("Serializer"):
            return outer.removesuffix("Api") + name
        return name
