"""The manager's staff and history screens under /manage/ (PLT-1, PLT-6): invite a person, a
person's role, outlets, discount limit and PIN, deactivation; the history of every change.
The list itself is core:staff_list (core.views). Thin: parse, call core.staff, render."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError, InvalidInput
from core.models import AuditEntry, Membership, Property, Role
from core.outlets import outlet_choices
from core.property_settings import LOCKED_FIELDS, PROPERTY_FIELDS, property_settings_save
from core.roles import role_has
from core.scoping import capability_required
from core.services import staff_pin_set
from core.staff import staff_deactivate, staff_invite, staff_reactivate, staff_update


def _role_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (value, label)
        for value, label in Role.choices
        if value != Role.ADMIN or request.membership.role == Role.ADMIN
    ]


def _allowed_outlets(request: HttpRequest) -> set[int]:
    return {pk for pk, _name in outlet_choices(request.property.pk)}


def _limit(raw: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(_("Enter a whole number."), extra={"field": "discount_limit"})


@require_http_methods(["GET", "POST"])
@capability_required("manage.staff")
def staff_invite_view(request: HttpRequest) -> HttpResponse:
    error, form = "", request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            membership = staff_invite(
                property=request.property,
                email=request.POST.get("email", ""),
                first_name=request.POST.get("first_name", ""),
                last_name=request.POST.get("last_name", ""),
                role=request.POST.get("role", ""),
                outlet_ids=[pk for pk in request.POST.getlist("outlets") if pk.isdigit()],
                allowed_outlet_ids=_allowed_outlets(request),
                actor=request.user,
                actor_membership=request.membership,
                set_password_base=request.build_absolute_uri(
                    reverse("manage:welcome", args=["uid", "token"]).rsplit("uid/", 1)[0]
                ),
                language=request.property.default_language,
            )
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(
                request,
                _("%(email)s is invited: they choose their password from the e-mail.")
                % {"email": membership.user.email},
            )
            return redirect("core:staff_list")
    return render(
        request,
        "core/manage/staff_invite.html",
        {
            "roles": _role_choices(request),
            "outlets": outlet_choices(request.property.pk),
            "error": error,
            "form": form,
        },
        status=422 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@capability_required("manage.staff")
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """One person at this property: role, outlets, discount limit, PIN, active or not."""
    membership = get_object_or_404(
        Membership.objects.select_related("user", "user__staff_profile"),
        property=request.property,
        pk=pk,
    )
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "save":
                staff_update(
                    membership=membership,
                    role=request.POST.get("role", ""),
                    outlet_ids=[pk for pk in request.POST.getlist("outlets") if pk.isdigit()],
                    discount_limit=_limit(request.POST.get("discount_limit", "")),
                    actor=request.user,
                    actor_membership=request.membership,
                    allowed_outlet_ids=_allowed_outlets(request),
                )
                messages.success(request, _("Saved."))
            elif action == "pin":
                staff_pin_set(
                    user=membership.user, pin=request.POST.get("pin", ""), actor=request.user
                )
                messages.success(request, _("PIN changed."))
            elif action == "deactivate":
                staff_deactivate(membership=membership, actor=request.user)
                messages.success(
                    request,
                    _("%(name)s is deactivated: their sessions and API tokens no longer work.")
                    % {"name": membership.user.get_full_name() or membership.user.username},
                )
            elif action == "reactivate":
                staff_reactivate(membership=membership, actor=request.user)
                messages.success(request, _("Active again."))
            else:
                raise InvalidInput(_("Unknown action."))
        except DomainError as exc:
            error = str(exc.message)
        else:
            return redirect("manage:staff_edit", pk=membership.pk)
    return render(
        request,
        "core/manage/staff_edit.html",
        {
            "m": membership,
            "roles": _role_choices(request),
            "outlets": outlet_choices(request.property.pk),
            "error": error,
        },
        status=422 if error else 200,
    )


class WelcomeView(auth_views.PasswordResetConfirmView):
    """The invitation's link: the new person chooses their password (Django's token)."""

    template_name = "core/manage/welcome.html"
    success_url = reverse_lazy("core:login")

    def form_valid(self, form):
        messages.success(self.request, _("Your password is set: sign in."))
        return super().form_valid(form)


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "—"
    return str(value)


def changes_of(data: dict) -> list[str]:
    """An audit row's change as lines a manager reads: "field: before → after" for what
    differs (any app's rows: `before`/`after` dicts), each day of a calendar edit, or the
    row's other facts."""
    data = data or {}
    before, after = data.get("before"), data.get("after")
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before or {}, after or {}
        keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
        return [f"{k}: {_shown(before.get(k))} → {_shown(after.get(k))}" for k in keys]
    days = data.get("days")
    if isinstance(days, dict):
        return [f"{day}: {_shown(c[0])} → {_shown(c[1])}" for day, c in sorted(days.items())]
    return [f"{k}: {_shown(v)}" for k, v in data.items() if k != "model"]


@capability_required("manage")
def history(request: HttpRequest) -> HttpResponse:
    """Every back-office change of the properties this person manages: who, what, before →
    after, filtered by model, person and dates. Any audit row shows (the catalogue's too)."""
    managed = [m.property_id for m in request.memberships if role_has(m.role, "manage")]
    rows = AuditEntry.objects.filter(property_id__in=managed).select_related("actor", "property")
    model = request.GET.get("model", "").strip()
    person = request.GET.get("person", "").strip()
    start, end = _day(request.GET.get("from")), _day(request.GET.get("to"))
    if model:
        rows = rows.filter(target_type=model)
    if person.isdigit():
        rows = rows.filter(actor_id=int(person))
    tz = request.property.tz
    if start:
        rows = rows.filter(created_at__gte=timezone.make_aware(datetime.combine(start, time()), tz))
    if end:
        rows = rows.filter(
            created_at__lt=timezone.make_aware(
                datetime.combine(end + timedelta(days=1), time()), tz
            )
        )
    page = Paginator(rows.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    for entry in page:
        entry.changes = changes_of(entry.data)
    models = (
        AuditEntry.objects.filter(property_id__in=managed)
        .exclude(target_type="")
        .values_list("target_type", flat=True)
        .distinct()
        .order_by("target_type")
    )
    people = (
        get_user_model()
        .objects.filter(memberships__property_id__in=managed)
        .distinct()
        .order_by("last_name", "username")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/manage/history.html",
        {
            "page": page,
            "models": list(models),
            "people": people,
            "filters": {"model": model, "person": person, "from": start, "to": end},
            "query": query.urlencode(),
        },
    )


class PropertySettingsForm(forms.ModelForm):
    """Parses the manager's settings; core.property_settings checks and saves them."""

    class Meta:
        model = Property
        fields = PROPERTY_FIELDS
        widgets = {
            "booking_frame_ancestors": forms.Textarea(attrs={"rows": 3}),
            "check_in_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "check_out_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "invoice_footer": forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
        }

    def __init__(self, data=None, **kwargs):
        if data is not None:  # "732 829 320 00074" as printed on a Kbis is the same SIRET
            data = data.copy()
            for name in ("siret", "vat_number"):
                data[name] = data.get(name, "").replace(" ", "")
        super().__init__(data, **kwargs)

    def validate_unique(self):
        """Nothing unique among these fields."""


def _form_error(form) -> str:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("Check the form.")


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def property_settings(request: HttpRequest) -> HttpResponse:
    """The active property's settings; time zone, currency and roll hour shown, not changed."""
    prop = Property.objects.get(pk=request.property.pk)
    form = PropertySettingsForm(request.POST or None, instance=prop)
    error = ""
    if request.method == "POST":
        if not form.is_valid():
            error = _form_error(form)
        else:
            try:
                property_settings_save(
                    property=Property.objects.get(pk=prop.pk),
                    actor=request.user,
                    fields={f: form.cleaned_data[f] for f in PROPERTY_FIELDS},
                    locked={f: request.POST.get(f) for f in LOCKED_FIELDS if f in request.POST},
                )
            except DomainError as exc:
                error = str(exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("manage:property")
    why = _("Dates every document: changed by the platform's administrator only.")
    readonly = [
        (Property._meta.get_field("timezone").verbose_name, prop.timezone, why),
        (Property._meta.get_field("currency").verbose_name, prop.currency, why),
        (
            Property._meta.get_field("business_day_roll_hour").verbose_name,
            f"{prop.business_day_roll_hour:02d}:00",
            why,
        ),
        (_("address of the booking engine"), f"/book/{prop.slug}/", ""),
    ]
    return render(
        request,
        "core/manage_form.html",
        {
            "title": _("Property settings"),
            "form": form,
            "error": error,
            "readonly": readonly,
            "intro": _(
                "The name, legal identity and address are printed on the invoices issued "
                "from now on, with the invoice footer; invoices already issued keep theirs. "
                "The classification chooses the tourist tax tariff. The check-in and "
                "check-out hours are shown to guests in the booking engine, the confirmation "
                "e-mail and the page before their arrival."
            ),
        },
        status=422 if error else 200,
    )
