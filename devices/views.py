"""The printer status screen for managers: status, retry, reprint, test page, no sale."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.exceptions import PermissionDenied as DomainPermissionDenied
from core.roles import role_has
from core.scoping import capability_required, get_scoped_or_404
from devices import selectors, services
from devices.documents import document_from_json
from devices.models import CashDrawer, Printer, PrintJob
from devices.rendering import render_text


def _form_key(request: HttpRequest, action: str) -> str:
    """The idempotency key of a submitted form (a double tap does the thing once)."""
    token = request.POST.get("idempotency_key", "")[:64] or uuid.uuid4().hex
    return f"web:{request.user.pk}:{action}:{token}"


def _back() -> HttpResponse:
    return redirect(reverse("devices:printer_status"))


@require_GET
@capability_required("manage")
def printer_status(request: HttpRequest) -> HttpResponse:
    context = {
        "printers": selectors.printer_list_with_status(property=request.property),
        "failed_jobs": selectors.print_job_failed_list(property=request.property),
        "recent_jobs": selectors.print_job_recent_list(property=request.property),
        "can_open_drawer": role_has(request.membership.role, "pos.approve"),
        "form_token": uuid.uuid4().hex,
    }
    return render(request, "devices/printer_status.html", context)


@require_POST
@capability_required("manage")
def printer_test_page(request: HttpRequest, printer_id: int) -> HttpResponse:
    printer = get_scoped_or_404(Printer.objects.all(), request, pk=printer_id)
    services.printer_test_page(printer=printer, actor=request.user)
    messages.success(request, _("Test page sent to %(printer)s.") % {"printer": printer.name})
    return _back()


@require_POST
@capability_required("manage")
def print_job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_scoped_or_404(PrintJob.objects.select_related("property"), request, pk=job_id)
    try:
        services.print_job_retry(print_job=job, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Print job sent again."))
    return _back()


@require_POST
@capability_required("manage")
def receipt_reprint(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_scoped_or_404(PrintJob.objects.all(), request, pk=job_id)
    try:
        services.receipt_reprint(
            print_job=job,
            actor=request.user,
            idempotency_key=_form_key(request, f"reprint:{job.pk}"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Duplicate receipt sent to the printer."))
    return _back()


@require_POST
@capability_required("pos.approve")
def drawer_no_sale(request: HttpRequest, drawer_id: int) -> HttpResponse:
    drawer = get_scoped_or_404(CashDrawer.objects.select_related("printer"), request, pk=drawer_id)
    try:
        services.drawer_open_no_sale(
            drawer=drawer,
            actor=request.user,
            idempotency_key=_form_key(request, f"no-sale:{drawer.pk}"),
            note=request.POST.get("note", "")[:200],
        )
    except DomainPermissionDenied:
        raise HttpPermissionDenied
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Drawer %(drawer)s opened (no sale).") % {"drawer": drawer.name}
        )
    return _back()


@require_GET
@capability_required("manage")
def print_job_preview(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_scoped_or_404(PrintJob.objects.select_related("printer"), request, pk=job_id)
    document = document_from_json(job.kind, job.document)
    text = render_text(document, columns=job.printer.columns) if document else ""
    return render(request, "devices/print_job_preview.html", {"job": job, "text": text})
