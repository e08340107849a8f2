from django.utils import translation

from core.cache_tokens import tokens_for_request
from core.scoping import resolve_active_membership


class RequestTokensMiddleware:
    """Each cache version token is read once per request (core.cache_tokens): a tap read
    the catalogue, terminals and staff tokens seven times."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with tokens_for_request():
            return self.get_response(request)


class ActivePropertyMiddleware:
    """Sets request.membership / request.property for signed-in staff, and their language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.property = None
        if request.user.is_authenticated:
            membership = resolve_active_membership(request)
            if membership is not None:
                request.membership = membership
                request.property = membership.property
            # a language chosen on this device (cookie) wins: only then skip the profile query
            if not request.COOKIES.get("django_language"):
                profile = getattr(request.user, "staff_profile", None)
                language = getattr(profile, "language", "") or (
                    request.property.default_language if request.property else ""
                )
                if language:
                    translation.activate(language)
                    request.LANGUAGE_CODE = language
        return self.get_response(request)
