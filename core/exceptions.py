"""One domain exception hierarchy, mapped once to HTTP by core.api and caught by views."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    status_code = 422
    default_message = _("This operation is not allowed.")

    def __init__(self, message=None, *, extra: dict | None = None):
        self.message = message if message is not None else self.default_message
        self.extra = extra or {}
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    code = "invalid"
    status_code = 422


class NotFound(DomainError):
    code = "not_found"
    status_code = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "forbidden"
    status_code = 403
    default_message = _("You are not allowed to do this.")


class Conflict(DomainError):
    code = "conflict"
    status_code = 409


class ResourceBusy(Conflict):
    code = "busy"
    default_message = _("Busy, please try again.")


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    default_message = _("This key was already used for a different request.")
