"""The time clock on a shared terminal (`/clock/`): tap your name, type your PIN, tap clock
in, break, back or clock out. Any bound device shows it (a till, a waiter's tablet, the
desk); nobody signs in: the PIN is checked by core's PIN check and only the punch is kept."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from core.exceptions import DomainError
from core.outlets import binding_outlet_id
from core.terminals import binding_device
from core.views import bound_property, not_a_terminal, pin_staff
from timeclock.selectors import clock_states
from timeclock.services import BREAK, IN, OUT, RESUME, clock_punch_with_pin

DONE = {
    IN: gettext_lazy("%(name)s, you are clocked in (%(time)s)."),
    BREAK: gettext_lazy("%(name)s, enjoy your break (%(time)s)."),
    RESUME: gettext_lazy("%(name)s, welcome back (%(time)s)."),
    OUT: gettext_lazy("%(name)s, you are clocked out (%(time)s). See you soon!"),
}


@never_cache
def clock(request: HttpRequest) -> HttpResponse:
    binding, prop = bound_property(request)
    if prop is None:
        return not_a_terminal(
            request,
            _(
                "This device is not a shared terminal: a manager binds it to one "
                "(POS, Terminals) before anyone can clock in with a PIN."
            ),
        )
    terminal_label = binding.get("label", "")
    error, status, wait, selected, done = None, 200, 0, None, None
    if request.method == "POST":
        try:
            selected = int(request.POST.get("user_id", ""))
        except ValueError:
            selected = 0
        try:
            punch = clock_punch_with_pin(
                property=prop,
                user_id=selected,
                pin=request.POST.get("pin", ""),
                action=request.POST.get("action", ""),
                terminal=terminal_label,
                device=binding_device(binding),
                outlet_id=binding_outlet_id(binding),
            )
        except DomainError as exc:
            error, status = exc.message, exc.status_code
            wait = exc.extra.get("wait", 0)
        else:
            user = punch.shift.user
            done = str(DONE[punch.action]) % {
                "name": user.first_name or user.username,
                "time": time_format(timezone.localtime(punch.at, prop.tz), "H:i"),
            }
            selected = None
    staff = list(pin_staff(prop))
    states = clock_states(property=prop, user_ids=[m.user_id for m in staff])
    people = [{"membership": m, "state": states.get(m.user_id)} for m in staff]
    response = render(
        request,
        "timeclock/clock.html",
        {
            "clock_property": prop,
            "people": people,
            "error": error,
            "done": done,
            "selected": selected,
            "terminal_label": terminal_label,
            "tz": prop.timezone,
        },
        status=status,
    )
    if wait:
        response["Retry-After"] = str(wait)
    return response
