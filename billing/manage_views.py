"""The manager's settings of the French payment titles and the tourist tax tariffs (issue 21),
under /manage/: thin, billing.services validate and save."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from billing.models import TouristTaxRate
from billing.services.chart_of_accounts import chart_rows, chart_save
from billing.services.payment_titles import payment_title_settings_set
from billing.services.tourist_tax_rates import (
    TOURIST_TAX_RATE_FIELDS,
    tourist_tax_rate_delete,
    tourist_tax_rate_rows,
    tourist_tax_rate_save,
)
from core.exceptions import DomainError
from core.models import AuditEntry, PaperTitleExcess
from core.scoping import capability_required
from inventory.models import RevenueCategory

TITLE_CATEGORIES = [
    (value, label)
    for value, label in RevenueCategory.choices
    if value not in (RevenueCategory.VOUCHER, RevenueCategory.TOURIST_TAX)
]


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def payment_titles(request: HttpRequest) -> HttpResponse:
    """Titres-restaurant: the cap per sale and the categories they pay for; paper titles
    worth more than due: refused or kept as a tip."""
    prop = request.property
    error = ""
    values = {
        "cap": prop.meal_voucher_daily_cap,
        "categories": list(prop.meal_voucher_categories or []),
        "excess": prop.paper_title_excess,
    }
    if request.method == "POST":
        values = {
            "cap": request.POST.get("meal_voucher_daily_cap", "")[:20],
            "categories": request.POST.getlist("meal_voucher_categories")[:20],
            "excess": request.POST.get("paper_title_excess", "")[:20],
        }
        try:
            payment_title_settings_set(
                property=prop,
                daily_cap=values["cap"],
                categories=values["categories"],
                excess=values["excess"],
                actor=request.user,
            )
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("title_settings:edit")
    return render(
        request,
        "billing/payment_titles.html",
        {
            "values": values,
            "categories": TITLE_CATEGORIES,
            "excess_choices": PaperTitleExcess.choices,
            "error": error,
        },
        status=422 if error else 200,
    )


class TouristTaxRateForm(forms.ModelForm):
    """Parses a tariff; billing.services.tourist_tax_rates checks and saves it."""

    class Meta:
        model = TouristTaxRate
        fields = TOURIST_TAX_RATE_FIELDS
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # unclassified: a percentage and its cap instead (the service checks which is due)
        self.fields["amount"].required = False

    def _post_clean(self):
        """The form parses only: the service checks the tariff whole, in the manager's words."""

    def validate_unique(self):
        """The service says it, in the manager's words (the form's instance has no property)."""


def _form_error(form) -> str:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("Check the form.")


@capability_required("manage")
def tourist_tax_rates(request: HttpRequest) -> HttpResponse:
    """The property's tourist tax tariffs with their period of validity."""
    prop = request.property
    return render(
        request,
        "billing/tourist_tax_rates.html",
        {
            "rows": tourist_tax_rate_rows(property=prop),
            "classification": prop.get_classification_display(),
        },
    )


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def tourist_tax_rate_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A new tariff, or one of the property's (another's: 404)."""
    prop = request.property
    rate = get_object_or_404(TouristTaxRate, property=prop, pk=pk) if pk else None
    initial = {} if rate else {"classification": prop.classification}
    form = TouristTaxRateForm(request.POST or None, instance=rate, initial=initial)
    error = ""
    if request.method == "POST":
        form.instance = rate if rate is not None else TouristTaxRate(property=prop)
        if not form.is_valid():
            error = _form_error(form)
        else:
            try:
                tourist_tax_rate_save(
                    property=prop,
                    actor=request.user,
                    fields={f: form.cleaned_data[f] for f in TOURIST_TAX_RATE_FIELDS},
                    rate=TouristTaxRate.objects.get(pk=rate.pk) if rate else None,
                )
            except DomainError as exc:
                error = str(exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("tourist_tax:list")
    deletable = rate is not None and rate.valid_from > prop.business_date()
    return render(
        request,
        "core/manage_form.html",
        {
            "delete_url": reverse("tourist_tax:delete", args=[rate.pk]) if deletable else "",
            "delete_label": _("Delete this tariff"),
            "title": _("Tourist tax tariff") if rate else _("New tourist tax tariff"),
            "form": form,
            "error": error,
            "intro": _(
                "The commune's tariff per taxable person and night, from the first day given "
                "until the next tariff of the same classification. Minors and the other legal "
                "exemptions are counted at check-out. Unclassified accommodation: no tariff, "
                "but a percentage (1 to 5 %) of the night's price excl. VAT per person, capped. "
                "A tariff that has not started yet can be deleted."
            ),
            "back_url": reverse("tourist_tax:list"),
            "back_label": _("Back to the tourist tax"),
        },
        status=422 if error else 200,
    )


@require_http_methods(["POST"])
@capability_required("manage")
def tourist_tax_rate_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a tariff that has not started (another property's: 404; a started one: the
    reason, nothing deleted)."""
    gone = AuditEntry.objects.filter(  # a second tap: this property deleted it already
        property=request.property,
        action="billing.tourist_tax_rate.deleted",
        target_type=TouristTaxRate._meta.label_lower,
        target_id=str(pk),
    )
    if gone.exists() and not TouristTaxRate.objects.filter(pk=pk).exists():
        return redirect("tourist_tax:list")
    rate = get_object_or_404(TouristTaxRate, property=request.property, pk=pk)
    try:
        tourist_tax_rate_delete(property=request.property, actor=request.user, rate=rate)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        response = redirect("tourist_tax:edit", pk=pk)
        response.status_code = 303
        return response
    messages.success(request, _("Tariff deleted."))
    return redirect("tourist_tax:list")


@require_http_methods(["GET", "POST"])
@capability_required("billing.accounting")
def chart_of_accounts(request: HttpRequest) -> HttpResponse:
    """The exports' accounts: each key's default and the property's own number and label."""
    prop = request.property
    rows = chart_rows(property=prop)
    error = ""
    if request.method == "POST":
        values = {
            row["key"]: (
                request.POST.get(f"number:{row['key']}", "")[:40],
                request.POST.get(f"label:{row['key']}", "")[:200],
            )
            for row in rows
        }
        try:
            changed = chart_save(property=prop, actor=request.user, values=values)
        except DomainError as exc:
            error = str(exc.message)
            for row in rows:  # what was typed stays on the page
                row["number"], row["label"] = values[row["key"]]
        else:
            messages.success(
                request,
                ngettext("%(n)s account changed.", "%(n)s accounts changed.", changed)
                % {"n": changed},
            )
            return redirect("chart:edit")
    return render(
        request,
        "billing/chart_of_accounts.html",
        {"rows": rows, "error": error},
        status=422 if error else 200,
    )
