"""The manager's settings of the French payment titles (issue 21), under /manage/: thin,
billing.services.payment_titles validates and saves."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from billing.services.payment_titles import payment_title_settings_set
from core.exceptions import DomainError
from core.models import PaperTitleExcess
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
