"""Companies and the loyalty programme in the manager's back office (/manage/companies/,
/manage/loyalty/, issue 21): thin, crm.services checks, saves and audits."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.scoping import capability_required
from crm.models import Company, LoyaltyProgram
from crm.services.companies import COMPANY_FIELDS, company_save
from crm.services.loyalty_settings import EARNING_CATEGORIES, loyalty_settings_save
from inventory.models import RatePlan

PAGE = 200


class CompanyForm(forms.ModelForm):
    """Parses a company; the service checks and saves it (and its plans of this property)."""

    plans = forms.ModelMultipleChoiceField(
        queryset=RatePlan.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("negotiated rate plans"),
    )

    class Meta:
        model = Company
        fields = COMPANY_FIELDS
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, data=None, *, property, **kwargs):
        if data is not None:  # "732 829 320" as printed on a Kbis is the same SIREN
            data = data.copy()
            for name in ("vat_number", "siren", "siret"):
                data[name] = data.get(name, "").replace(" ", "")
        super().__init__(data, **kwargs)
        self.fields["plans"].queryset = RatePlan.objects.filter(property=property)
        if self.instance.pk and data is None:
            self.initial["plans"] = [
                p.pk for p in self.instance.rate_plans.all() if p.property_id == property.pk
            ]

    def _post_clean(self):
        """The form parses only; the service checks the whole company (its instance has no
        organisation yet)."""


def _form_error(form) -> str:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("Check the form.")


@capability_required("manage")
def company_list(request: HttpRequest) -> HttpResponse:
    """The organisation's companies, searched by name, SIREN or VAT number."""
    query = request.GET.get("q", "").strip()[:100]
    companies = Company.objects.filter(organization_id=request.property.organization_id)
    if query:
        companies = companies.filter(
            Q(name__icontains=query) | Q(siren__startswith=query) | Q(vat_number__icontains=query)
        )
    companies = companies.prefetch_related("rate_plans")[:PAGE]
    rows = [
        {
            "company": c,
            "plans": ", ".join(
                p.name_fr for p in c.rate_plans.all() if p.property_id == request.property.pk
            ),
        }
        for c in companies
    ]
    return render(request, "crm/companies.html", {"rows": rows, "q": query})


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def company_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A new company, or one of the organisation's (another's: 404)."""
    prop = request.property
    company = (
        get_object_or_404(Company, organization_id=prop.organization_id, pk=pk) if pk else None
    )
    form = CompanyForm(request.POST or None, instance=company, property=prop)
    error = ""
    if request.method == "POST":
        if not form.is_valid():
            error = _form_error(form)
        else:
            try:
                saved = company_save(
                    property=prop,
                    actor=request.user,
                    fields={f: form.cleaned_data[f] for f in COMPANY_FIELDS},
                    rate_plans=list(form.cleaned_data["plans"]),
                    company=Company.objects.get(pk=company.pk) if company else None,
                )
            except DomainError as exc:
                error = str(exc.message)
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": saved.name})
                return redirect("companies:list")
    return render(
        request,
        "core/manage_form.html",
        {
            "title": company.name if company else _("New company"),
            "form": form,
            "error": error,
            "intro": _(
                "A company is shared by every property of the group; the rate plans ticked "
                "here are this property's. Its SIREN or VAT number makes its invoices "
                "electronic invoices."
            ),
            "back_url": reverse("companies:list"),
            "back_label": _("Back to the companies"),
        },
        status=422 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def loyalty_settings(request: HttpRequest) -> HttpResponse:
    """The organisation's loyalty programme: on or off, a point's value, points per euro."""
    program = (
        LoyaltyProgram.objects.filter(organization_id=request.property.organization_id)
        .prefetch_related("rules")
        .first()
    )
    rates = {r.revenue_category: r.points_per_euro for r in program.rules.all()} if program else {}
    values = {
        "is_active": program.is_active if program else False,
        "point_value": program.point_value if program else Decimal("0.0100"),
    }
    error = ""
    if request.method == "POST":
        values = {
            "is_active": request.POST.get("is_active") == "on",
            "point_value": request.POST.get("point_value", "")[:20],
        }
        rates = {c: request.POST.get(f"rate_{c}", "")[:20] for c, _label in EARNING_CATEGORIES}
        try:
            loyalty_settings_save(
                property=request.property, actor=request.user, rates=rates, **values
            )
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("loyalty:settings")
    rows = [
        {"code": c, "label": label, "value": rates.get(c, "")} for c, label in EARNING_CATEGORIES
    ]
    return render(
        request,
        "crm/loyalty_settings.html",
        {"values": values, "rows": rows, "error": error},
        status=422 if error else 200,
    )
