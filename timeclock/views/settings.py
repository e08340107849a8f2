"""The time clock's settings on the manager's screen (/manage/time/settings/, issue 21): thin,
timeclock.services.timeclock_settings_save checks, saves and audits."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.scoping import capability_required
from timeclock.models import TimeclockSettings
from timeclock.selectors import settings_of
from timeclock.services import TIMECLOCK_SETTINGS_FIELDS, timeclock_settings_save


class TimeclockSettingsForm(forms.ModelForm):
    """Parses the settings; the service checks and saves them."""

    class Meta:
        model = TimeclockSettings
        fields = TIMECLOCK_SETTINGS_FIELDS

    def _post_clean(self):
        """The form parses only: the service checks, in the manager's words."""


def _form_error(form) -> str:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("Check the form.")


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def timeclock_settings(request: HttpRequest) -> HttpResponse:
    """The active property's time-clock settings."""
    form = TimeclockSettingsForm(request.POST or None, instance=settings_of(request.property))
    error = ""
    if request.method == "POST":
        if not form.is_valid():
            error = _form_error(form)
        else:
            try:
                timeclock_settings_save(
                    property=request.property,
                    actor=request.user,
                    fields={f: form.cleaned_data[f] for f in TIMECLOCK_SETTINGS_FIELDS},
                )
            except DomainError as exc:
                error = str(exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("timeclock:settings")
    return render(
        request,
        "core/manage_form.html",
        {
            "title": _("Time clock settings"),
            "form": form,
            "error": error,
            "intro": _(
                "The legal week sets the overtime of the hours worked; an open shift past "
                "these limits is alerted as forgotten; a clock-in after the planned start "
                "plus the margin counts as late. Pooled tips are shared by hours worked."
            ),
            "back_url": reverse("timeclock:week"),
            "back_label": _("Back to the hours worked"),
        },
        status=422 if error else 200,
    )
