"""A sale's receipt on request: e-mailed after commit, or printed on this terminal's printer
(a second print is a duplicate)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from pos.selectors import order_get
from pos.services.receipts import receipt_email_request, receipt_print_request
from pos.terminals import terminal_for_request


@require_POST
@capability_required("pos.sell")
def receipt_email(request: HttpRequest, order_id: int) -> HttpResponse:
    """E-mail the receipt of a sale (sent after commit by a retried task)."""
    order = order_get(property=request.property, order_id=order_id)
    if order is None or order.ticket is None:
        raise Http404
    try:
        receipt_email_request(
            order=order,
            email=request.POST.get("email", ""),
            actor=request.user,
            language=(get_language() or "fr")[:2],
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The receipt is on its way."))
    return redirect("pos:counter_receipt", order_id=order.pk)


@require_POST
@capability_required("pos.sell")
def receipt_print(request: HttpRequest, order_id: int) -> HttpResponse:
    """Print the receipt on this terminal's printer (on request only, loi AGEC)."""
    order = order_get(property=request.property, order_id=order_id)
    if order is None or order.ticket is None:
        raise Http404
    terminal = terminal_for_request(request)
    if terminal is None or terminal.printer_id is None:
        messages.error(request, _("This terminal has no receipt printer."))
        return redirect("pos:counter_receipt", order_id=order.pk)
    try:
        job = receipt_print_request(terminal=terminal, ticket=order.ticket, actor=request.user)
    except DomainError as exc:  # a printer that cannot take the job: said, never a 500
        messages.error(request, str(exc.message))
        return redirect("pos:counter_receipt", order_id=order.pk)
    if job.is_duplicate:
        messages.success(request, _("A copy of the receipt (duplicate) is printing."))
    else:
        messages.success(request, _("The receipt is printing."))
    return redirect("pos:counter_receipt", order_id=order.pk)
