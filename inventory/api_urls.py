"""inventory API routes (relative to /api/v1/properties/<property_slug>/)."""

urlpatterns: list = []
