"""The guest e-mails' wording, per property (managers): subject and body in French and
English, a preview with sample values, a reset to the default. A template naming an unknown
placeholder is refused with the list of those allowed, and nothing is saved."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import DomainError
from core.scoping import capability_required
from pms.models import GuestEmailKind
from pms.services.guest_emails import (
    LANGUAGES,
    PLACEHOLDERS,
    template_get,
    template_preview,
    template_reset,
    template_save,
)


@require_GET
@capability_required("manage")
def index(request: HttpRequest) -> HttpResponse:
    rows = []
    for kind, label in GuestEmailKind.choices:
        for language in LANGUAGES:
            subject, _body, custom = template_get(
                property=request.property, kind=kind, language=language
            )
            rows.append(
                {
                    "kind": kind,
                    "label": label,
                    "language": language,
                    "subject": subject,
                    "custom": custom,
                }
            )
    return render(request, "pms/guest_emails.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def edit(request: HttpRequest, kind: str, language: str) -> HttpResponse:
    if kind not in GuestEmailKind.values or language not in LANGUAGES:
        raise Http404
    subject, body, custom = template_get(property=request.property, kind=kind, language=language)
    error, preview, status = "", None, 200
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "reset":
            template_reset(
                property=request.property, kind=kind, language=language, actor=request.user
            )
            messages.success(request, _("The default wording is back."))
            return redirect("frontdesk:guest_email_edit", kind=kind, language=language)
        subject = request.POST.get("subject", "")
        body = request.POST.get("body", "")
        try:
            if action == "preview":
                preview = template_preview(
                    property=request.property,
                    kind=kind,
                    language=language,
                    subject=subject,
                    body=body,
                )
            else:
                template_save(
                    property=request.property,
                    kind=kind,
                    language=language,
                    subject=subject,
                    body=body,
                    actor=request.user,
                )
                messages.success(request, _("The e-mail is saved."))
                return redirect("frontdesk:guest_email_edit", kind=kind, language=language)
        except DomainError as exc:
            error, status = exc.message, 422
    return render(
        request,
        "pms/guest_email_edit.html",
        {
            "kind": kind,
            "label": GuestEmailKind(kind).label,
            "language": language,
            "subject": subject,
            "body": body,
            "custom": custom,
            "placeholders": sorted(PLACEHOLDERS[kind]),
            "preview": preview,
            "error": error,
        },
        status=status,
    )
