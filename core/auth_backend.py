"""The signed-in staff member, read from the shared cache instead of PostgreSQL on every
request (a tablet sends one per tap).

The user row is kept under the same per-user token as their memberships (core.scoping),
read before the row and dropped by core.api_auth's signals whenever the user is saved or
deleted (password, name, deactivation, last login) or a membership changes. Django still
checks the session's password hash against the cached row, so a password change signs the
other sessions out as before. A bulk `QuerySet.update()` on users sends no signal: such code
calls `core.api_auth.api_auth_forget_users`; entries expire after API_AUTH_CACHE_SECONDS."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from core.cache_tokens import versioned_get
from core.scoping import staff_token


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        key = f"staff-user:{user_id}:{staff_token(user_id)}"
        user = versioned_get(key)
        if user is None:
            user = super().get_user(user_id)  # None for an unknown or inactive user
            if user is None:
                return None
            cache.set(key, user, timeout=settings.API_AUTH_CACHE_SECONDS)
        return user if self.user_can_authenticate(user) else None
