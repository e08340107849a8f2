"""The police form at the desk (REFERENCE §10): filled at check-in from the booking, signed by
the guest on the tablet (a canvas, static/js/signature.js), printed as a PDF, and listed per
day for the police on their request. A refused form keeps what was typed and says why."""

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import DomainError, NotFound
from core.scoping import capability_required
from pms.models import PoliceForm
from pms.selectors import police_forms_for_day, reservation_get
from pms.services.police import (
    PoliceFormInput,
    police_form_pdf_render,
    police_form_record,
    police_form_required,
)

FIELDS = (
    "last_name",
    "first_name",
    "birth_date",
    "birth_place",
    "nationality",
    "address",
    "phone",
    "email",
    "children_under_15",
    "signature",
)


@require_http_methods(["GET", "POST"])
@capability_required("pms.frontdesk")
def capture(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        res = reservation_get(property=request.property, reference=reference)
    except NotFound:
        raise Http404
    guest = res.guest
    prefilled = request.GET.get("blank") != "1"
    values = (
        {
            "last_name": guest.last_name,
            "first_name": guest.first_name,
            "nationality": guest.country,
            "phone": guest.phone,
            "email": guest.email,
            "children_under_15": "0",
        }
        if prefilled
        else {"children_under_15": "0"}
    )
    error = ""
    if request.method == "POST":
        values = {f: request.POST.get(f, "") for f in FIELDS}
        try:
            police_form_record(
                reservation=res,
                data=PoliceFormInput(**values),
                actor=request.user,
                guest=guest if request.POST.get("prefilled") == "1" else None,
            )
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(
                request,
                _("The police form of %(name)s is signed.")
                % {"name": f"{values['first_name']} {values['last_name']}".strip()},
            )
            return redirect("frontdesk:police_form", reference=res.reference)
    values.pop("signature", None)  # never sent back: the guest signs again
    return render(
        request,
        "pms/police_form.html",
        {
            "res": res,
            "values": values,
            "prefilled": prefilled,
            "error": error,
            "required": police_form_required(country=guest.country),
            "forms": list(res.police_forms.order_by("pk")),
        },
        status=422 if error else 200,
    )


@require_GET
@capability_required("pms.frontdesk")
def pdf(request: HttpRequest, pk: int) -> HttpResponse:
    form = (
        PoliceForm.objects.filter(property=request.property, pk=pk)
        .select_related("property", "reservation")
        .first()
    )
    if form is None:
        raise Http404
    response = HttpResponse(police_form_pdf_render(form=form), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="fiche-police-{form.pk}.pdf"'
    return response


@require_GET
@capability_required("pms.frontdesk")
def by_day(request: HttpRequest) -> HttpResponse:
    """The forms of the guests here on a night: what the police may ask for."""
    today = request.property.business_date()
    error = ""
    try:
        day = date.fromisoformat(request.GET["day"]) if request.GET.get("day") else today
    except ValueError:
        day, error = today, _("Enter a valid date.")
    return render(
        request,
        "pms/police_forms.html",
        {
            "day": day,
            "error": error,
            "forms": police_forms_for_day(property=request.property, day=day),
        },
    )
