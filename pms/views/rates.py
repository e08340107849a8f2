"""The manager's rates and availability calendar (PLT-6): room types and the slot, pass and
stock products × days; a bulk edit over a date range and weekdays; seasons; a cell's
history; a pool's capacity rules. Thin: parse, call the services, render."""

from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError, InvalidInput
from core.formatting import money
from core.scoping import capability_required
from inventory.models import CapacityPool, Channel, Product, RatePlan, Season, SeasonPeriod
from inventory.services.pricing import active_plans
from inventory.services.rate_plans import RATE_PLAN_FIELDS, rate_plan_save
from inventory.services.rates import (
    day_range,
    parse_amount,
    pool_rules_update,
    rates_bulk_edit,
    season_create,
    season_period_add,
    season_period_delete,
    stop_sell_channels,
    stop_sell_set,
)
from pms.models import RoomType
from pms.selectors import cell_history, rates_calendar
from pms.services.policies import rate_plan_policy_text
from pms.services.restrictions import restrictions_set

MAX_DAYS = 62
WEEKDAY_NAMES = (
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
)


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _int(raw, default: int | None = None) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def _weekday_choices():
    return [(i, str(name)) for i, name in enumerate(WEEKDAY_NAMES)]


def _channel_choices():
    labels = dict(Channel.choices)
    out = []
    for channel, name in stop_sell_channels():
        label = str(labels[channel])
        value = f"{channel}:{name}"
        out.append((value, f"{label} · {name.capitalize()}" if name else label))
    return out


@capability_required("manage")
def calendar(request: HttpRequest) -> HttpResponse:
    """The grid: ?start=YYYY-MM-DD&days=N (31 by default, at most 62)."""
    prop = request.property
    start = _date(request.GET.get("start")) or prop.business_date()
    days = min(max(_int(request.GET.get("days"), 31) or 31, 1), MAX_DAYS)
    grid = rates_calendar(property=prop, start=start, days=days)
    return render(
        request,
        "pms/rates/calendar.html",
        {
            "grid": grid,
            "start": start,
            "days": days,
            "previous": start - timedelta(days=days),
            "next": start + timedelta(days=days),
            "weekday_choices": _weekday_choices(),
            "channel_choices": _channel_choices(),
            "plans": grid.plans,
            "form": {"start": start, "end": start + timedelta(days=days - 1)},
        },
    )


def _bulk_context(request: HttpRequest, form: dict, error: str = "", field: str = "") -> dict:
    prop = request.property
    products = list(
        Product.objects.filter(property=prop, is_active=True, capacity_pool__isnull=False)
        .select_related("room_type")
        .order_by("sort_order", "code")
    )
    return {
        "products": products,
        "plans": active_plans(property=prop),
        "weekday_choices": _weekday_choices(),
        "channel_choices": _channel_choices(),
        "form": form,
        "error": error,
        "error_field": field,
    }


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def bulk_edit(request: HttpRequest) -> HttpResponse:
    """One form for a date range and weekdays: a price change on a plan, a minimum stay,
    closed to arrival/departure, a stop-sell on a channel. Every part commits together."""
    prop = request.property
    if request.method == "GET":
        start = _date(request.GET.get("start")) or prop.business_date()
        end = _date(request.GET.get("end")) or start + timedelta(days=6)
        form = {
            "start": start,
            "end": end,
            "weekdays": [str(i) for i in range(7)],
            "products": request.GET.getlist("product"),
        }
        return render(request, "pms/rates/bulk.html", _bulk_context(request, form))
    post = request.POST
    form = {
        "start": post.get("start", ""),
        "end": post.get("end", ""),
        "weekdays": post.getlist("weekdays"),
        "products": post.getlist("products"),
        "rate_plan": post.get("rate_plan", ""),
        "change": post.get("change", ""),
        "value": post.get("value", ""),
        "min_stay": post.get("min_stay", ""),
        "arrival": post.get("arrival", ""),
        "departure": post.get("departure", ""),
        "stop_channel": post.get("stop_channel", ""),
        "stop": post.get("stop", ""),
    }
    try:
        with transaction.atomic():
            written = _apply_bulk(request, form)
    except DomainError as exc:
        return render(
            request,
            "pms/rates/bulk.html",
            _bulk_context(request, form, str(exc.message), exc.extra.get("field", "")),
            status=exc.status_code if exc.status_code != 404 else 422,
        )
    messages.success(
        request,
        ngettext("%(n)d change saved.", "%(n)d changes saved.", written) % {"n": written},
    )
    return redirect(f"{reverse('rates:calendar')}?{urlencode({'start': form['start']})}")


def _apply_bulk(request: HttpRequest, form: dict) -> int:
    prop = request.property
    weekdays = [w for w in form["weekdays"] if w.isdigit()]
    selection = day_range(
        start=_date(form["start"]), end=_date(form["end"]), weekdays=map(int, weekdays)
    )
    ids = [int(pk) for pk in form["products"] if pk.isdigit()]
    products = list(
        Product.objects.filter(property=prop, pk__in=ids, capacity_pool__isnull=False)
        .select_related("capacity_pool", "room_type")
        .order_by("pk")
    )
    if not products or len(products) != len(set(ids)):
        raise InvalidInput(_("Choose at least one product."), extra={"field": "products"})
    written = 0
    value = parse_amount(form["value"], field="value")
    if form["change"] or value is not None:
        plan = RatePlan.objects.filter(
            property=prop, pk=_int(form["rate_plan"], 0), is_active=True
        ).first()
        if plan is None:
            raise InvalidInput(_("Choose a rate plan."), extra={"field": "rate_plan"})
        if value is None:
            raise InvalidInput(_("Enter a number."), extra={"field": "value"})
        change = form["change"]
        kwargs = {"set": "set_price", "percent": "percent", "amount": "amount"}.get(change)
        if kwargs is None:
            raise InvalidInput(_("Choose how the price changes."), extra={"field": "change"})
        written += rates_bulk_edit(
            property=prop,
            rate_plan=plan,
            products=products,
            selection=selection,
            actor=request.user,
            **{kwargs: value},
        )
    room_types = [rt for p in products if (rt := _room_type(p)) is not None]
    min_stay_raw = form["min_stay"].strip()
    flags = {"yes": True, "no": False}
    arrival = flags.get(form["arrival"])
    departure = flags.get(form["departure"])
    if min_stay_raw or arrival is not None or departure is not None:
        min_stay = None
        clear = min_stay_raw == "-"
        if min_stay_raw and not clear:
            min_stay = _int(min_stay_raw)
            if min_stay is None:
                raise InvalidInput(_("Enter a number of nights."), extra={"field": "min_stay"})
        if min_stay is not None and min_stay < 1:
            raise InvalidInput(
                _("A minimum stay is at least 1 night."), extra={"field": "min_stay"}
            )
        if not room_types:
            raise InvalidInput(
                _("Restrictions apply to room types: choose one."), extra={"field": "products"}
            )
        for p in products:
            if p.room_type_or_none is None:
                raise InvalidInput(
                    _("Restrictions apply to room types only: %(name)s is not one.")
                    % {"name": p.name},
                    extra={"field": "products"},
                )
        written += restrictions_set(
            property=prop,
            room_types=room_types,
            selection=selection,
            min_stay=min_stay,
            clear_min_stay=clear,
            closed_to_arrival=arrival,
            closed_to_departure=departure,
            actor=request.user,
        )
    if form["stop"] in ("close", "open"):
        channel, _sep, name = form["stop_channel"].partition(":")
        if not channel:
            raise InvalidInput(_("Choose a channel."), extra={"field": "stop_channel"})
        written += stop_sell_set(
            property=prop,
            pools=list({p.capacity_pool_id: p.capacity_pool for p in products}.values()),
            channel=channel,
            channel_name=name,
            selection=selection,
            closed=form["stop"] == "close",
            actor=request.user,
        )
    if not written and not (form["change"] or min_stay_raw or form["stop"]):
        if arrival is None and departure is None:
            raise InvalidInput(_("Nothing to change."), extra={"field": "change"})
    return written


def _room_type(product: Product) -> RoomType | None:
    try:
        product.room_type_or_none = product.room_type
    except RoomType.DoesNotExist:
        product.room_type_or_none = None
    return product.room_type_or_none


@capability_required("manage")
def cell(request: HttpRequest, product_id: int, day: str) -> HttpResponse:
    """A cell's history: who changed its price, restrictions or stop-sells, before → after."""
    product = get_object_or_404(Product, property=request.property, pk=product_id)
    when = _date(day)
    if when is None:
        raise Http404
    rows = cell_history(property=request.property, product=product, day=when)
    key = when.isoformat()
    plans = {p.code: p.name for p in RatePlan.objects.filter(property=request.property)}
    history = [
        {
            "entry": e,
            "what": _what(e.data, plans),
            "change": [_shown(v) for v in e.data.get("days", {}).get(key) or ("", "")],
        }
        for e in rows
    ]
    return render(
        request, "pms/rates/cell.html", {"product": product, "day": when, "history": history}
    )


def _what(data: dict, plans: dict[str, str]) -> str:
    """What a change touched, in words: "Price · Public rate", "Stop-sell · Booking.com"."""
    fields = {
        "price": _("Price"),
        "stop_sell": _("Stop-sell"),
        "min_stay, closed_to_arrival, closed_to_departure": _("Restrictions"),
    }
    parts = [fields.get(data.get("field", ""), data.get("field", ""))]
    if data.get("rate_plan"):
        parts.append(plans.get(data["rate_plan"], data["rate_plan"]))
    if data.get("channel_name") or data.get("channel"):
        parts.append(data.get("channel_name") or data["channel"])
    return " · ".join(str(p) for p in parts if p)


def _shown(value) -> str:
    """A cell's before or after: a price, or the restrictions (min stay, CTA, CTD)."""
    if isinstance(value, list):
        min_stay, arrival, departure = (value + [None, False, False])[:3]
        parts = [_("min %(n)s") % {"n": min_stay} if min_stay else ""]
        parts += [_("CTA") if arrival in (True, "True") else "", _("CTD") if departure else ""]
        return ", ".join(p for p in parts if p) or "—"
    if str(value) in ("True", "False"):  # a stop-sell: closed or open
        return _("closed") if str(value) == "True" else _("open")
    return money(value)


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def seasons(request: HttpRequest) -> HttpResponse:
    """The seasons and their periods; a new season; a period added or removed."""
    prop = request.property
    error, field, form = "", "", {}
    if request.method == "POST":
        action = request.POST.get("action")
        form = request.POST
        try:
            if action == "create":
                season_create(
                    property=prop,
                    code=request.POST.get("code", ""),
                    name=request.POST.get("name", ""),
                    actor=request.user,
                )
                messages.success(request, _("Season created."))
            elif action == "period":
                season = get_object_or_404(
                    Season, property=prop, pk=_int(request.POST.get("season"), 0)
                )
                season_period_add(
                    property=prop,
                    season=season,
                    start=_date(request.POST.get("start")),
                    end=_date(request.POST.get("end")),
                    actor=request.user,
                )
                messages.success(request, _("Period added."))
            else:
                raise Http404
        except DomainError as exc:
            error, field = str(exc.message), exc.extra.get("field", "")
        else:
            return redirect(request.path)
    season_list = Season.objects.filter(property=prop).prefetch_related("periods")
    return render(
        request,
        "pms/rates/seasons.html",
        {"seasons": season_list, "error": error, "error_field": field, "form": form},
        status=422 if error else 200,
    )


@require_http_methods(["POST"])
@capability_required("manage")
def season_period_remove(request: HttpRequest, pk: int) -> HttpResponse:
    period = get_object_or_404(
        SeasonPeriod.objects.select_related("season"), season__property=request.property, pk=pk
    )
    season_period_delete(property=request.property, period=period, actor=request.user)
    messages.success(request, _("Period removed."))
    return redirect("rates:seasons")


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def pools(request: HttpRequest) -> HttpResponse:
    """Capacity rules of every pool (INV-4): hold-back, online auto-close, slots, stock."""
    pool_list = CapacityPool.objects.filter(property=request.property).order_by("kind", "code")
    return render(request, "pms/rates/pools.html", {"pools": pool_list})


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def pool_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(CapacityPool, property=request.property, pk=pk)
    error, field = "", ""
    if request.method == "POST":
        post = request.POST
        try:
            numbers = {}
            for name in ("default_capacity", "hold_back_onsite"):
                numbers[name] = _int(post.get(name), None)
                if numbers[name] is None:
                    raise InvalidInput(_("Enter a whole number."), extra={"field": name})
            for name in ("online_close_at_sold", "reorder_point"):
                raw = post.get(name, "").strip()
                numbers[name] = _int(raw, None) if raw else None
                if raw and numbers[name] is None:
                    raise InvalidInput(_("Enter a whole number."), extra={"field": name})
            pool_rules_update(
                property=request.property,
                pool=pool,
                slot_times=[t for t in post.get("slot_times", "").split(",") if t.strip()],
                actor=request.user,
                **numbers,
            )
        except DomainError as exc:
            error, field = str(exc.message), exc.extra.get("field", "")
        else:
            messages.success(request, _("Capacity rules saved."))
            return redirect("rates:pools")
    return render(
        request,
        "pms/rates/pool_edit.html",
        {"pool": pool, "error": error, "error_field": field, "form": request.POST or None},
        status=422 if error else 200,
    )


class RatePlanForm(forms.ModelForm):
    """Parses a rate plan; inventory.services.rate_plans checks and saves it."""

    channels = forms.MultipleChoiceField(
        label=gettext_lazy("channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every channel."),
    )

    class Meta:
        model = RatePlan
        fields = RATE_PLAN_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # chosen once: reservations and the API name the plan by its code
            self.fields["code"].disabled = True
        self.fields["meal_plan"].required = False  # not posted: room only

    def _post_clean(self):
        """The form parses only: the service checks the whole plan, in the manager's words
        (a model constraint's own message would be "Constraint … is violated")."""


def _form_error(form) -> str:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("Check the form.")


@capability_required("manage")
def rate_plans(request: HttpRequest) -> HttpResponse:
    """The property's rate plans, active or not, with their terms in one sentence each."""
    labels = dict(Channel.choices)
    rows = [
        {
            "plan": plan,
            "channels": ", ".join(str(labels.get(c, c)) for c in plan.channels)
            or _("Every channel"),
            "terms": rate_plan_policy_text(plan),
        }
        for plan in RatePlan.objects.filter(property=request.property)
    ]
    return render(request, "pms/rates/plans.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def rate_plan_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A new rate plan, or one of the property's (another's: 404)."""
    plan = get_object_or_404(RatePlan, property=request.property, pk=pk) if pk else None
    title = plan.name_fr if plan else _("New rate plan")
    form = RatePlanForm(request.POST or None, instance=plan)
    error = ""
    if request.method == "POST":
        form.instance = plan if plan is not None else RatePlan(property=request.property)
        if not form.is_valid():
            error = _form_error(form)
        else:
            try:
                saved = rate_plan_save(
                    property=request.property,
                    actor=request.user,
                    fields={f: form.cleaned_data[f] for f in RATE_PLAN_FIELDS},
                    plan=RatePlan.objects.get(pk=plan.pk) if plan else None,
                )
            except DomainError as exc:
                error = str(exc.message)
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": saved.name_fr})
                return redirect("rates:plans")
    return render(
        request,
        "core/manage_form.html",
        {
            "title": title,
            "form": form,
            "error": error,
            "subnav": "pms/rates/_nav.html",
            "intro": _(
                "A booking keeps the terms it was sold with: changing them applies to the "
                "next bookings. Prices are set on the calendar and on the products."
            ),
            "back_url": reverse("rates:plans"),
            "back_label": _("Back to the rate plans"),
        },
        status=422 if error else 200,
    )
