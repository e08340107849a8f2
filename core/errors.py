"""Error pages in the user's language, for HTML and for JSON callers alike."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def bad_request(request, exception=None):
    """A request Django refuses before any view (too many fields, a malformed body)."""
    if _wants_json(request):
        return JsonResponse(
            {"code": "bad_request", "message": _("Bad request."), "extra": {}}, status=400
        )
    return render(request, "errors/400.html", status=400)


def forbidden(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {"code": "forbidden", "message": _("You are not allowed to do this."), "extra": {}},
            status=403,
        )
    return render(request, "errors/403.html", status=403)


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {"code": "not_found", "message": _("Not found."), "extra": {}}, status=404
        )
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if _wants_json(request):
        return JsonResponse(
            {"code": "server_error", "message": _("Something went wrong."), "extra": {}}, status=500
        )
    return render(request, "errors/500.html", status=500)


def csrf_failure(request, reason=""):
    """A form refused by Django's CSRF check (an old tab, cookies cleared): our own page in
    the user's language. Django's default has an inline style, which the CSP blocks."""
    if _wants_json(request):
        return JsonResponse(
            {
                "code": "csrf_failed",
                "message": _("This form has expired: reload the page and try again."),
            },
            status=403,
        )
    return render(request, "errors/csrf.html", status=403)
