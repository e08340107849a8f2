"""POS screens. Terminal binding: a manager binds this browser to one of the property's
terminals, so the PIN switch and every sale know which till they are on."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.audit import audit_log
from core.scoping import capability_required
from core.terminals import bind_terminal, unbind_terminal
from pos.selectors import outlets_with_terminals, terminal_get
from pos.terminals import terminal_for_request


def terminal_label(terminal) -> str:
    return f"{terminal.outlet.name} · {terminal.name}"


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def terminals(request: HttpRequest) -> HttpResponse:
    """List the property's outlets and terminals; bind or unbind this device."""
    if request.method == "POST":
        action = request.POST.get("action")
        response = redirect("pos:terminals")
        if action == "bind":
            try:
                terminal_id = int(request.POST.get("terminal_id", ""))
            except ValueError:
                raise Http404
            terminal = terminal_get(property=request.property, pk=terminal_id)
            if terminal is None:
                raise Http404
            label = terminal_label(terminal)
            bind_terminal(
                response,
                property_id=request.property.pk,
                terminal_id=terminal.pk,
                label=label,
                outlet_id=terminal.outlet_id,
            )
            audit_log(
                action="pos.terminal.bound",
                property=request.property,
                actor=request.user,
                target=terminal,
                terminal=label,
            )
            messages.success(request, _("This device is now %(label)s.") % {"label": label})
        elif action == "unbind":
            current = terminal_for_request(request)
            unbind_terminal(response)
            audit_log(
                action="pos.terminal.unbound",
                property=request.property,
                actor=request.user,
                target=current,
                terminal=terminal_label(current) if current else "",
            )
            messages.success(request, _("This device is no longer bound to a terminal."))
        else:
            return HttpResponseBadRequest()
        return response
    current = terminal_for_request(request)
    return render(
        request,
        "pos/terminals.html",
        {
            "outlets": outlets_with_terminals(property=request.property),
            "current": current,
            "current_label": terminal_label(current) if current else "",
        },
    )
