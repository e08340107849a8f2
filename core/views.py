from celery import current_app as celery_app
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import get_usage

from core.exceptions import DomainError
from core.models import Membership, Property
from core.navigation import landing_for
from core.outlets import binding_outlet_id
from core.roles import OPERATIONAL_ROLES
from core.scoping import SESSION_KEY, capability_required, membership_for
from core.services import staff_pin_set, staff_pin_verify
from core.staff import outlet_allowed, remember_property
from core.terminal_sessions import (
    is_terminal_session,
    start_terminal_session,
    terminal_capabilities,
)
from core.terminals import binding_device, terminal_binding


def _username_key(group, request) -> str:
    return request.POST.get("username", "").strip().lower()


def login_throttle_wait(request: HttpRequest) -> int:
    """Count this sign-in attempt against the client's address and the username it names;
    the seconds to wait when either is over its limit, else 0."""
    waits = []
    for key, rate in (
        ("ip", settings.LOGIN_RATE_PER_ADDRESS),
        (_username_key, settings.LOGIN_RATE_PER_USERNAME),
    ):
        usage = get_usage(
            request, group="core.login", key=key, rate=rate, method="POST", increment=True
        )
        if usage and usage["should_limit"]:
            waits.append(max(usage["time_left"], 1))
    return max(waits, default=0)


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        # someone in a PIN session came for a screen that needs the password: the form
        self.redirect_authenticated_user = not is_terminal_session(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        # a tablet sent here by the PIN switch is not paired: say so before anyone sells
        context = super().get_context_data(**kwargs)
        wants_pin = self.request.GET.get("next", "").startswith("/pin/")
        context["unpaired"] = wants_pin and terminal_binding(self.request) is None
        return context

    def post(self, request, *args, **kwargs):
        wait = login_throttle_wait(request)
        if wait:
            form = self.get_form()
            minutes = -(-wait // 60)
            form.add_error(
                None,
                ngettext(
                    "Too many sign-in attempts. Try again in %(minutes)d minute.",
                    "Too many sign-in attempts. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own home: its property, business date and the screens it uses."""
    membership = request.membership
    if membership is None:
        return render(request, "core/no_property.html", status=403)
    landing = landing_for(
        membership.role, terminal_capabilities(request) if is_terminal_session(request) else None
    )
    if landing is not None:
        return redirect(landing)
    return render(request, "core/home.html", {"business_date": membership.property.business_date()})


@require_POST
@login_required
def property_switch(request: HttpRequest) -> HttpResponse:
    try:
        property_id = int(request.POST.get("property_id", ""))
    except ValueError:
        property_id = 0
    membership = membership_for(request.user, property_id)
    if membership is None:
        raise DjangoPermissionDenied
    request.session[SESSION_KEY] = membership.property_id
    remember_property(user=request.user, property_id=membership.property_id)
    messages.success(request, _("You are now working at %(name)s.") % {"name": membership.property})
    return redirect("core:home")


def pin_staff(prop: Property):
    """Who may tap their name on a terminal of `prop`: active people with an operational
    role there and a PIN, never a superuser (they sign in with the password)."""
    return (
        Membership.objects.filter(
            property=prop,
            is_active=True,
            user__is_active=True,
            user__is_superuser=False,
            role__in=OPERATIONAL_ROLES,
        )
        .exclude(user__staff_profile__pin_hash="")
        .filter(user__staff_profile__isnull=False)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )


def bound_property(request: HttpRequest) -> tuple[dict | None, Property | None]:
    """The terminal binding of this browser and its property (None, None: not bound)."""
    binding = terminal_binding(request)
    prop = Property.objects.filter(pk=binding["property_id"]).first() if binding else None
    return (binding, prop) if prop is not None else (None, None)


def not_a_terminal(request: HttpRequest, message: str) -> HttpResponse:
    """A terminal's screen opened on an unbound browser: home with `message` for someone
    signed in, else the sign-in (that comes back here)."""
    if request.user.is_authenticated:
        # a refusal, not a success: amber, not green
        messages.warning(request, message)
        return redirect("core:home")
    return redirect(f"/login/?next={request.path}")


@never_cache
def pin_switch(request: HttpRequest) -> HttpResponse:
    """Shared terminal: tap your name, type your PIN; the device stays bound to its outlet.
    Only a bound device shows it: the PIN opens a terminal session (core.terminal_sessions)
    for this device, never a full one."""
    binding, prop = bound_property(request)
    if prop is None:
        return not_a_terminal(
            request,
            _(
                "This device is not a shared terminal: a manager binds it to one "
                "(POS, Terminals) before anyone can switch with a PIN."
            ),
        )
    terminal_label = binding.get("label", "")
    error = None
    status = 200
    wait = 0
    selected = None
    if request.method == "POST":
        try:
            user_id = int(request.POST.get("user_id", ""))
        except ValueError:
            user_id = 0
        selected = user_id
        user = None
        try:
            user = staff_pin_verify(
                property=prop,
                user_id=user_id,
                pin=request.POST.get("pin", ""),
                terminal=terminal_label,
                device=binding_device(binding),
                sign_in=True,
            )
        except DomainError as exc:
            error = exc.message
            status = exc.status_code
            wait = exc.extra.get("wait", 0)
        else:
            if not outlet_allowed(membership_for(user, prop.pk), binding_outlet_id(binding)):
                # POS-1: a bartender with rights at the bar only is refused at the restaurant
                error = _(
                    "You have no rights at %(terminal)s: ask a manager to give you this outlet."
                ) % {"terminal": terminal_label or _("this terminal")}
                status = 403
                user = None
        if user is not None and error is None:
            login(request, user, backend="core.auth_backend.CachedModelBackend")
            start_terminal_session(request, property_id=prop.pk, binding=binding)
            request.session[SESSION_KEY] = prop.pk
            next_url = request.POST.get("next") or ""
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                next_url = ""
            return redirect(next_url or "core:home")
    response = render(
        request,
        "core/pin_switch.html",
        {
            "pin_property": prop,
            "staff": pin_staff(prop),
            "error": error,
            "selected": selected,
            "terminal_label": terminal_label,
            "next": request.GET.get("next", ""),
        },
        status=status,
    )
    if wait:
        response["Retry-After"] = str(wait)
    return response


@require_GET
@never_cache
def livez(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers (no database, no broker). Also the benchmarks' floor."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker reachability, for load balancers and docker compose."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "down" to a probe
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


@capability_required("manage.staff")
def staff_list(request: HttpRequest) -> HttpResponse:
    """The manager's staff screen: who works here, in which role, and their quick-switch PIN."""
    memberships = (
        Membership.objects.filter(property=request.property)
        .select_related("user", "user__staff_profile")
        .order_by("role", "user__last_name", "user__username")
    )
    error = None
    if request.method == "POST":
        try:
            member_id = int(request.POST.get("membership_id", ""))
        except ValueError:
            member_id = 0
        target = memberships.filter(pk=member_id).first()
        if target is None:
            raise DjangoPermissionDenied
        try:
            staff_pin_set(user=target.user, pin=request.POST.get("pin", ""), actor=request.user)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("PIN changed for %(name)s.")
                % {"name": target.user.get_full_name() or target.user.username},
            )
            return redirect("core:staff_list")
    return render(
        request,
        "core/staff_list.html",
        {"memberships": memberships, "error": error},
        status=422 if error else 200,
    )
