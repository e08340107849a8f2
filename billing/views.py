"""The accountant's screen (capability billing.accounting): documents, exports (FEC, CSV,
streamed with constant memory), closures, journal verification, tourist-tax report; and the
invoice PDF download (billing.read)."""

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Sum
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.models import (
    Closure,
    ExportJob,
    Invoice,
    JournalCheckpoint,
    JournalEntry,
    Payment,
    Ticket,
)
from billing.selectors import (
    invoice_state_label,
    open_balances,
    ticket_state_label,
    tickets_voided,
)
from billing.services import signing
from billing.services.closures import closure_run
from billing.services.exports import export_job_request
from billing.services.fec import (
    csv_filename,
    csv_rows,
    fec_filename,
    fec_rows,
    stream_lines,
)
from billing.services.invoice_documents import invoice_pdf_filename, invoice_pdf_render
from billing.services.journal import JET_ARCHIVE, jet_event
from billing.services.reconciliation import (
    cash_count_record,
    reconciliation_difference,
    reconciliation_for_day,
)
from billing.services.tourist_tax import tourist_tax_report
from billing.services.verification import (
    last_verification,
    verification_in_progress,
    verification_request,
)
from core.exceptions import DomainError
from core.formatting import money
from core.money import ZERO
from core.scoping import capability_required, get_scoped_or_404, scope

MAX_EXPORT_DAYS = 366


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"))
    end = forms.DateField(label=gettext_lazy("To (included)"))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if (end - start).days >= MAX_EXPORT_DAYS:
                raise forms.ValidationError(_("Export at most one year at a time."))
        return data


def _default_period(request) -> dict:
    yesterday = request.property.business_date() - timedelta(days=1)
    return {"start": yesterday.replace(day=1), "end": yesterday}


@require_http_methods(["GET", "POST"])
@capability_required("billing.accounting")
def accounting(request: HttpRequest) -> HttpResponse:
    prop = request.property
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "verify":
            _message, created = verification_request(
                property=prop, actor=request.user.get_username()
            )
            if created:
                messages.success(
                    request,
                    _(
                        "Verification started: the result appears below when it is done "
                        "(a year takes a few minutes)."
                    ),
                )
            else:
                messages.info(request, _("A verification is already under way."))
        elif action == "count":
            try:
                day = date.fromisoformat(request.POST.get("day", ""))
                cash_count_record(
                    property=prop,
                    business_date=day,
                    method=request.POST.get("method", ""),
                    counted=request.POST.get("counted", "").replace(",", "."),
                    actor=request.user,
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("Count recorded."))
            except ValueError:
                messages.error(request, _("Choose a period and a date."))
            except DomainError as exc:
                messages.error(request, str(exc))
        elif action == "closure":
            period = request.POST.get("period")
            try:
                day = date.fromisoformat(request.POST.get("day", ""))
            except ValueError:
                day = None
            if period not in Closure.Period.values or day is None:
                messages.error(request, _("Choose a period and a date."))
            else:
                try:
                    with transaction.atomic():
                        closure = closure_run(
                            property=prop, period=period, day=day, actor=request.user
                        )
                    messages.success(
                        request,
                        _("Closure %(closure)s done: %(gross)s.")
                        % {"closure": closure, "gross": money(closure.gross)},
                    )
                except DomainError as exc:
                    messages.error(request, str(exc))
        return redirect("billing:accounting")
    form = PeriodForm(request.GET or None, initial=_default_period(request))
    period = form.cleaned_data if form.is_valid() else _default_period(request)
    report = tourist_tax_report(
        property=prop, start=period["start"], end=period["end"] + timedelta(days=1)
    )
    documents_kind, documents = _documents(request, period)
    closures = scope(Closure.objects.all(), request).order_by("-start", "period")[:20]
    reconciliation = reconciliation_for_day(property=prop, business_date=period["end"])
    return render(
        request,
        "billing/accounting.html",
        {
            "form": form,
            "period": period,
            "documents": documents,
            "documents_kind": documents_kind,
            "document_kinds": DOCUMENT_KINDS,
            "closures": closures,
            "periods": Closure.Period.choices,
            "report": report,
            "reconciliation": reconciliation,
            "day_difference": reconciliation_difference(reconciliation),
            "methods": Payment.Method.choices,
            "yesterday": prop.business_date() - timedelta(days=1),
            "jobs": scope(ExportJob.objects.all(), request).order_by("-created_at", "-pk")[:10],
            "export_kinds": ExportJob.Kind.choices,
            "key_fingerprint": _key_fingerprint(),
            **_integrity(prop),
        },
    )


def _integrity(prop) -> dict:
    """The integrity line: the last verification, one under way, the last signed checkpoint."""
    return {
        "last_verification": last_verification(property=prop),
        "verification_pending": verification_in_progress(property=prop),
        "checkpoint": JournalCheckpoint.objects.filter(
            property=prop, chain=JournalEntry.Chain.FISCAL
        )
        .order_by("-sequence")
        .first(),
    }


@require_GET
@capability_required("billing.accounting")
def verification_status(request: HttpRequest) -> HttpResponse:
    """The integrity line (HTMX polls it while a verification is under way)."""
    return render(request, "billing/_integrity.html", _integrity(request.property))


DOCUMENT_KINDS = (
    ("invoices", gettext_lazy("Invoices")),
    ("credit_notes", gettext_lazy("Credit notes")),
    ("tickets", gettext_lazy("Receipts")),
)
DOCUMENTS_PER_PAGE = 50


def _documents(request: HttpRequest, period: dict):
    """The period's invoices, credit notes or POS receipts, newest first, a page at a time
    (a year of receipts is tens of thousands of rows)."""
    kind = request.GET.get("documents")
    if kind not in dict(DOCUMENT_KINDS):
        kind = "invoices"
    in_period = {"business_date__gte": period["start"], "business_date__lte": period["end"]}
    if kind == "tickets":
        rows = (
            scope(Ticket.objects.all(), request)
            .filter(**in_period)
            .select_related("cashier")
            .order_by("-number")
        )
    else:
        invoice_kind = Invoice.Kind.INVOICE if kind == "invoices" else Invoice.Kind.CREDIT_NOTE
        rows = (
            scope(Invoice.objects.all(), request)
            .filter(kind=invoice_kind, **in_period)
            .annotate(credited=Sum("credit_notes__total"))
            .order_by("-business_date", "-sequence")
        )
    page = Paginator(rows, DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    if kind == "tickets":
        voided = tickets_voided(property=request.property, tickets=page.object_list)
        for ticket in page.object_list:
            ticket.state_label = ticket_state_label(ticket, voided=ticket.pk in voided)
    else:
        for invoice in page.object_list:
            invoice.state_label = invoice_state_label(invoice)
    return kind, page


def _key_fingerprint() -> str:
    try:
        return signing.fingerprint(signing.public_key_pem())
    except (OSError, ValueError):  # a misconfigured key must not take the screen down
        return _("No signing key: check FISCAL_SIGNING_KEY.")


@require_POST
@capability_required("billing.accounting")
def export_job_start(request: HttpRequest) -> HttpResponse:
    """Ask for an export of a period: a job row now, the file later (Celery, after commit)."""
    form = PeriodForm(request.POST)
    kind = request.POST.get("kind", "")
    if kind not in ExportJob.Kind.values:
        messages.error(request, _("Unknown export."))
    elif not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    else:
        try:
            export_job_request(
                property=request.property,
                kind=kind,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"] + timedelta(days=1),
                actor=request.user,
            )
            messages.success(request, _("Export queued: follow its progress below."))
        except DomainError as exc:
            messages.error(request, str(exc))
    return redirect("billing:accounting")


@require_GET
@capability_required("billing.accounting")
def export_job_status(request: HttpRequest, public_id) -> HttpResponse:
    """The job's row (HTMX polls it every second until it is done or failed)."""
    job = get_scoped_or_404(ExportJob.objects.all(), request, public_id=public_id)
    return render(request, "billing/_export_job.html", {"job": job})


@require_GET
@capability_required("billing.accounting")
def export_job_download(request: HttpRequest, public_id) -> HttpResponse:
    job = get_scoped_or_404(
        ExportJob.objects.filter(status=ExportJob.Status.DONE), request, public_id=public_id
    )
    try:
        handle = default_storage.open(job.storage_name, "rb")
    except OSError:
        raise Http404
    content_type = {
        ExportJob.Kind.FEC: "text/plain; charset=utf-8",
        ExportJob.Kind.CSV: "text/csv; charset=utf-8",
        ExportJob.Kind.ARCHIVE: "application/zip",
    }[job.kind]
    return FileResponse(
        handle, as_attachment=True, filename=job.filename, content_type=content_type
    )


@require_GET
@capability_required("billing.accounting")
def signing_public_key(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="auberge-archive-public-key.pem"'
    return response


@require_GET
@capability_required("billing.accounting")
def accounting_export(request: HttpRequest, kind: str) -> HttpResponse:
    """Stream the FEC (tab-separated) or the CSV of document lines for a period."""
    if kind not in ("fec", "csv"):
        raise Http404
    form = PeriodForm(request.GET)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("billing:accounting")
    prop = request.property
    start, end = form.cleaned_data["start"], form.cleaned_data["end"] + timedelta(days=1)
    if kind == "fec":
        filename = fec_filename(property=prop, end=end)
        lines = stream_lines(fec_rows(property=prop, start=start, end=end), delimiter="\t")
        content_type = "text/plain; charset=utf-8"
    else:
        filename = csv_filename(property=prop, start=start, end=end)
        lines = stream_lines(csv_rows(property=prop, start=start, end=end), delimiter=";")
        content_type = "text/csv; charset=utf-8"
    jet_event(
        property=prop,
        code=JET_ARCHIVE,
        actor=request.user,
        payload={"export": filename, "start": start, "end": end},
    )
    response = StreamingHttpResponse(lines, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@capability_required("billing.read")
def invoice_pdf(request: HttpRequest, public_id) -> HttpResponse:
    """The PDF (a Factur-X for a business customer). A snapshot that cannot make a valid
    e-invoice sends the user back to the screen they came from with the reason, not a 500."""
    invoice = get_scoped_or_404(
        Invoice.objects.select_related("property", "original"), request, public_id=public_id
    )
    try:
        pdf = invoice_pdf_render(invoice=invoice)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = "/"
        return redirect(back)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_pdf_filename(invoice)}"'
    return response


@require_GET
@capability_required("billing.read")
def open_balances_list(request: HttpRequest) -> HttpResponse:
    """Stays that left with their balance not settled (left open on a manager's PIN, or on a
    company's account): what the desk chases, the manager watches and the accountant books."""
    folios = open_balances(property=request.property)
    return render(
        request,
        "billing/open_balances.html",
        {
            "folios": folios,
            "total": sum((f.balance for f in folios), ZERO),
        },
    )
