"""The desk's online payments (BE-3): every card deposit paid, declined, cancelled or
refunded through the provider, the `late` ones (paid after the hold expired, so nothing was
confirmed) with what to do about them, and a refused refund asked again. Front desk and
managers of the active property only."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from pms.selectors import ONLINE_PAYMENTS_LISTED, online_payments_list
from pms.services.online_payments import online_payment_refund_again


@require_GET
@capability_required("pms.frontdesk")
def index(request: HttpRequest) -> HttpResponse:
    late_only = request.GET.get("late") == "1"
    payments = online_payments_list(property=request.property, late_only=late_only)
    return render(
        request,
        "pms/online_payments.html",
        {
            "payments": payments,
            "late_only": late_only,
            "capped": len(payments) >= ONLINE_PAYMENTS_LISTED,
            "limit": ONLINE_PAYMENTS_LISTED,
        },
    )


@require_POST
@capability_required("pms.frontdesk")
def refund_again(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        refund = online_payment_refund_again(
            payment_id=pk, property=request.property, actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The refund of %(reference)s is asked again.")
            % {"reference": refund.payment.reservation.reference},
        )
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/frontdesk/") else "frontdesk:online_payments")
