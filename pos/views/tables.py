"""Waiter tablet (POS-2/3): floor plan, a table's tab with items, modifiers and courses, send
and fire to the kitchen and bar, voids and discounts approved by a manager's PIN on the same
screen, transfer and merge, the in-house guest, split bills and payment (cash with change,
card with tip, voucher, room, several tenders). The kitchen display is pos.views.kitchen, the
receipt actions pos.views.receipts."""

import uuid
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import (
    HttpResponseClientRedirect,
    push_url,
    reselect,
    reswap,
    retarget,
)

from billing.services.payments import TenderInput
from core.exceptions import DomainError, InvalidInput
from core.money import ZERO, quantize
from core.queries import one_by_key
from core.roles import discount_limit, role_has
from core.scoping import approvers_listed, capability_required
from core.terminals import request_device
from crm.services.gdpr import MARKETING_WORDING, consent_record
from pos.models import KitchenTicket, Table, TableTab, TabLine, TabPart
from pos.selectors import (
    guest_suggestions,
    in_house_search,
    line_held,
    line_to_send,
    order_get,
    outlet_menu,
    reservation_by_reference,
    table_menu_products,
    waiting_guest_orders,
)
from pos.services.approvals import approver_verify
from pos.services.checkout import Sale
from pos.services.counter_cart import parse_quantity
from pos.services.tab_payments import (
    PaidPart,
    cover_part_amount,
    tab_balance,
    tab_pay_part,
    tab_priced_lines,
    tab_set_split,
)
from pos.services.tables import (
    MAX_COURSE,
    tab_add_line,
    tab_attach_guest,
    tab_fire_next_course,
    tab_line_discount,
    tab_line_option_toggle,
    tab_line_quantity,
    tab_mark_served,
    tab_merge,
    tab_remove_line,
    tab_repeat_last_line,
    tab_send_and_read,
    tab_transfer,
    tab_void_line,
    table_open,
)
from pos.terminals import terminal_for_request
from pos.views.counter import receipt_page
from pos.views.payment_step import quick_amounts, room_confirm_context
from pos.views.terminals import terminal_label
from pos.views.titles import TITLE_ACTIONS, title_tenders


def course_name(course: int) -> str:
    names = {
        1: pgettext("course", "Starters"),
        2: pgettext("course", "Mains"),
        3: pgettext("course", "Desserts"),
    }
    return names.get(course) or _("Course %(n)s") % {"n": course}


COURSES = (1, 2, 3, 4)


def table_state(tab: TableTab | None, tickets: list[KitchenTicket], has_unsent: bool) -> str:
    """free, ordered (something not sent), kitchen (waiting), ready (dishes to take), to_pay."""
    if tab is None:
        return "free"
    if any(t.status == KitchenTicket.Status.BUMPED and t.served_at is None for t in tickets):
        return "ready"
    if any(t.status == KitchenTicket.Status.NEW for t in tickets):
        return "kitchen"
    if has_unsent or not tickets:
        return "ordered"
    return "to_pay"


# Lazy: built at import, shown in the language of each request.
STATE_LABELS = {
    "free": gettext_lazy("Free"),
    "ordered": gettext_lazy("Ordered"),
    "kitchen": gettext_lazy("Waiting for the kitchen"),
    "ready": gettext_lazy("Ready"),
    "to_pay": gettext_lazy("To pay"),
}


@require_GET
@capability_required("pos.sell")
def floor(request: HttpRequest) -> HttpResponse:
    tables = list(
        Table.objects.filter(property=request.property, is_active=True).select_related("outlet")
    )
    open_tabs = {
        t.table_id: t
        for t in TableTab.objects.filter(
            property=request.property, status=TableTab.Status.OPEN
        ).prefetch_related(
            Prefetch(
                "kitchen_tickets",
                queryset=KitchenTicket.objects.only("tab_id", "status", "served_at"),
            ),
            Prefetch(
                "lines",
                queryset=TabLine.objects.filter(
                    kitchen_ticket__isnull=True, voided_at__isnull=True
                ).only("tab_id"),
                to_attr="unsent_lines",
            ),
        )
    }
    outlets = {}
    for table in tables:
        tab = open_tabs.get(table.pk)
        state = table_state(
            tab,
            list(tab.kitchen_tickets.all()) if tab else [],
            bool(tab and tab.unsent_lines),
        )
        outlets.setdefault(table.outlet, []).append((table, tab, state, STATE_LABELS[state]))
    context = {"outlets": outlets, "guest_orders": waiting_guest_orders(property=request.property)}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "pos/floor.html#plan", context)
    return render(request, "pos/floor.html", context)


def _is_partial(request: HttpRequest) -> bool:
    """An htmx tap on the tablet (not a history restore, which wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _show_screen(request: HttpRequest, response: HttpResponse, url: str) -> HttpResponse:
    """An htmx tap that ends on another screen (the tab, the receipt): its <main> replaces
    the current one and the address bar shows its URL, in one request instead of a
    redirect and a second page load."""
    retarget(response, "main")
    reswap(response, "outerHTML")
    reselect(response, "main")
    return push_url(response, url)


@require_POST
@capability_required("pos.sell")
def open_table(request: HttpRequest, table_id: int) -> HttpResponse:
    table = one_by_key(Table.objects.filter(property=request.property, pk=table_id, is_active=True))
    if table is None:
        raise Http404
    table.property = request.property  # the filter's own: no second read
    try:
        try:
            covers = int(request.POST.get("covers", ""))
        except ValueError:
            raise InvalidInput(_("Enter the number of covers (1 to %(max)s).") % {"max": 99})
        tab = table_open(table=table, covers=covers, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        if _is_partial(request):  # the floor plan again, whole, with the message
            return HttpResponseClientRedirect(reverse("pos:floor"))
        return redirect("pos:floor")
    if _is_partial(request):
        # the Open form targets <main> itself: a poll of the floor plan that replaced the
        # form meanwhile cannot lose this answer (a retarget would be looked up from it)
        # the tab just created carries its table and property
        # a tab just opened has no lines yet
        context = {**_page_context(request, tab, lines=[]), "base_template": "main_only.html"}
        response = render(request, "pos/tab.html", context)
        return push_url(response, reverse("pos:tab", args=[tab.pk]))
    return redirect("pos:tab", tab_id=tab.pk)


def _tab_or_404(request: HttpRequest, tab_id: int) -> TableTab:
    """The tab with its table. The guest and reservation are read only when the tab has one
    (most have not), and the property is the request's own (the filter guarantees it)."""
    tab = one_by_key(
        TableTab.objects.filter(property=request.property, pk=tab_id).select_related("table")
    )
    if tab is None:
        raise Http404
    tab.property = request.property
    return tab


def _tab_ref(request: HttpRequest, tab_id: int) -> TableTab:
    """The tab a tap changes, not read here: the service's locking read is the one read, and
    it refuses a tab of another property (NotFound, shown as a 404). A tap saves a query.
    Only its pk and property are set; any other field would be read by pk alone, so the
    views that take a ref touch nothing else before the service has locked the tab."""
    tab = TableTab.from_db(None, ["id", "property_id"], [tab_id, request.property.pk])
    tab.property = request.property
    return tab


def _int(raw, default=None):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def _menu_context(request: HttpRequest, tab: TableTab, menu_data: dict | None = None) -> dict:
    """The menu column: the outlet's own categories in one row, the course and seat the
    waiter is on (a separate control), and the dishes of the category."""
    if menu_data is None:
        menu_data = outlet_menu(property=request.property, outlet_id=tab.table.outlet_id)
    categories = menu_data["categories"]
    category_id = _int(request.GET.get("category"))
    if category_id not in {c.pk for c in categories}:
        category_id = categories[0].pk if categories else None
    course = _int(request.GET.get("course"), 1)
    if not 1 <= course <= MAX_COURSE:
        course = 1
    seat = _int(request.GET.get("seat"), 0)
    if not 0 <= seat <= tab.covers:
        seat = 0
    return {
        "tab": tab,
        "categories": categories,
        "current_category": category_id,
        "current_course": course,
        "current_seat": seat,
        "seats": list(range(1, tab.covers + 1)) if tab.covers > 1 else [],
        "courses": [(c, course_name(c)) for c in COURSES],
        "products": menu_data["products"].get(category_id, []),
        "menu_version": menu_data["version"],
        "now": menu_data["now"],
    }


TIP_PERCENTS = (5, 10, 15)


def _minutes_since(moment) -> int:
    from django.utils import timezone

    return max(0, int((timezone.now() - moment).total_seconds() // 60)) if moment else 0


def _attach_option_groups(request: HttpRequest, lines: list[TabLine]) -> None:
    """A line not sent yet of a dish with modifier groups gets them (`line.option_groups`)
    for its Options sheet: read from the tablet's cached menu, no query."""
    open_lines = [
        line
        for line in lines
        if not (line.voided_at or line.kitchen_ticket_id or line.paid_part_id)
    ]
    if not open_lines:
        return
    dishes = table_menu_products(
        property=request.property, ids={line.product_id for line in open_lines}
    )
    for line in open_lines:
        dish = dishes.get(line.product_id)
        line.option_groups = list(dish.modifier_groups.all()) if dish is not None else []


def _cart_context(request: HttpRequest, tab: TableTab, lines: list[TabLine] | None = None) -> dict:
    """What the order column shows: lines, totals, parts paid, what is ready, held or to
    send, and the payment form. Every tap on the tablet redraws it (and only it).
    `lines`: the tab's lines with their tickets, when the caller has them (else read)."""
    if lines is None:
        lines = list(tab.lines.select_related("kitchen_ticket"))
    # A part pays for lines (which are never deleted once paid): a tab without lines has no
    # parts, and a tab a service has just locked says whether it has any (most have none).
    parts = (
        list(tab.parts.select_related("order__ticket"))
        if lines and getattr(tab, "has_parts", True)
        else []
    )
    priced, error = [], ""
    try:
        priced = tab_priced_lines(tab=tab, lines=lines, parts=parts, cached=True)
    except DomainError as exc:
        error = str(exc.message)
    by_line = {p.line.pk: p for p in priced}
    _attach_option_groups(request, lines)
    fired = tab.fired_course
    rows = [
        (line, by_line.get(line.pk), course_name(line.course), line_held(line, fired_course=fired))
        for line in lines
    ]
    balance = tab_balance(priced)
    total = sum((p.total for p in priced), ZERO)
    held = sorted({line.course for line in lines if line_held(line, fired_course=fired)})
    # every ticket of the tab carries its lines (sent lines are voided, never deleted, and
    # follow their tickets on a merge): the tickets are those of the lines, no query needed
    tickets = {
        line.kitchen_ticket_id: line.kitchen_ticket for line in lines if line.kitchen_ticket_id
    }
    ready = [
        t
        for _, t in sorted(tickets.items())
        if t.status == KitchenTicket.Status.BUMPED and t.served_at is None
    ]
    cover_parts_done = sum(1 for p in parts if p.kind == TabPart.Kind.COVER)
    next_cover = (
        cover_part_amount(balance=balance, parts_left=max(1, tab.split_parts - cover_parts_done))
        if tab.split_parts
        else None
    )
    role = request.membership.role
    self_approves = role_has(role, "pos.approve")
    state = table_state(
        tab, list(tickets.values()), any(line_to_send(line, fired_course=fired) for line in lines)
    )
    due_now = next_cover if next_cover is not None else balance
    return {
        "tab": tab,
        "rows": rows,
        "table_state": state,
        "table_state_label": STATE_LABELS[state],
        "open_minutes": _minutes_since(tab.created_at),
        "due_now": due_now,
        "quick_amounts": quick_amounts(due_now),
        "tip_percents": TIP_PERCENTS,
        # in the middle of a split, the payment step stays open for the next share
        # and once everything is sent (the table's next step is the bill)
        "pay_open": bool(parts)
        or bool(tab.split_parts)
        or (bool(lines) and not any(line_to_send(x, fired_course=fired) for x in lines)),
        "total": total,
        "balance": balance,
        "parts": parts,
        "paid_so_far": total - balance,
        "unsent": any(line_to_send(line, fired_course=fired) for line in lines),
        "held_courses": [course_name(c) for c in held],
        "ready_tickets": ready,
        "next_cover": next_cover,
        "cover_parts_left": tab.split_parts - cover_parts_done if tab.split_parts else 0,
        "self_approves": self_approves,
        "discount_limit": discount_limit(role, request.membership.discount_limit),
        # for the void and discount forms of someone who needs a manager's PIN
        "approvers": [] if self_approves else approvers_listed(request.property),
        # a fresh key per screen: a double tap on Pay replays the same part
        "pay_key": str(uuid.uuid4()),
        "error": error,
    }


def _page_context(request: HttpRequest, tab: TableTab, lines: list[TabLine] | None = None) -> dict:
    guest_q = (request.GET.get("guest_q") or "").strip()[:50]
    return {
        **_menu_context(request, tab),
        **_cart_context(request, tab, lines=lines),
        # one outlet's tables, in the floor plan's order (without joining the outlet for it)
        "free_tables": Table.objects.filter(
            property=request.property, outlet_id=tab.table.outlet_id, is_active=True
        )
        .exclude(tabs__status=TableTab.Status.OPEN)
        .order_by("pos_y", "pos_x", "label"),
        "other_tabs": TableTab.objects.filter(
            property=request.property, status=TableTab.Status.OPEN
        )
        .exclude(pk=tab.pk)
        .select_related("table"),
        "guest_q": guest_q,
        "guest_matches": in_house_search(property=request.property, query=guest_q)
        if guest_q
        else [],
        "suggestions": guest_suggestions(property=request.property, tab=tab)
        if tab.guest_id
        else None,
        "marketing_wording": MARKETING_WORDING,
    }


@require_GET
@vary_on_headers("HX-Request")
@capability_required("pos.sell")
def tab(request: HttpRequest, tab_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    if tab.status == TableTab.Status.CLOSED:
        if tab.order_id:
            return redirect("pos:counter_receipt", order_id=tab.order_id)
        return redirect("pos:floor")
    if _is_partial(request) and "category" in request.GET:
        menu_data = outlet_menu(property=request.property, outlet_id=tab.table.outlet_id)
        if request.GET.get("v") == menu_data["version"]:
            # the tablet's poll: nothing sold out or changed since it drew the menu
            return HttpResponse(status=204)
        return render(request, "pos/tab.html#menu", _menu_context(request, tab, menu_data))
    return render(request, "pos/tab.html", _page_context(request, tab))


def _back(
    tab: TableTab,
    error: DomainError | None = None,
    request=None,
    fresh: TableTab | None = None,
    lines: list[TabLine] | None = None,
    **params,
):
    """Back to the tab, on the menu category and course the waiter was using. A tap from
    the tablet (htmx) gets the order column redrawn at once, with its message, in the same
    response: no redirect, no second request. `fresh`: the tab as the service just locked
    and left it (else it is read again); `lines`: its lines as the service read them."""
    partial = request is not None and _is_partial(request)
    if partial or error is not None:
        # as the service left it; a tab of another property (the service said NotFound) is a
        # 404 here, before any message is queued for a later page
        tab = fresh or _tab_or_404(request, tab.pk)
    if error is not None:
        messages.error(request, str(error.message))
    if partial:
        if tab.status == TableTab.Status.CLOSED:
            return _left_tab(request, tab)
        context = {**_cart_context(request, tab, lines=lines), "partial": True}
        return render(request, "pos/tab.html#cart", context)
    url = reverse("pos:tab", args=[tab.pk])
    query = "&".join(f"{k}={v}" for k, v in params.items() if v and str(v).isdigit())
    return redirect(f"{url}?{query}" if query else url)


def _left_tab(request: HttpRequest, tab: TableTab) -> HttpResponse:
    """The tab is closed (paid on another tablet, or merged into another table): show
    where it went rather than a form for a tab that no longer takes orders."""
    if tab.order_id:
        order = order_get(property=request.property, order_id=tab.order_id)
        if order is not None and order.ticket is not None:
            url = reverse("pos:counter_receipt", args=[order.pk])
            page = receipt_page(request, Sale.of_order(order), main_only=True)
            return _show_screen(request, page, url)
    return HttpResponseClientRedirect(reverse("pos:floor"))


@require_POST
@capability_required("pos.sell")
def tab_add(request: HttpRequest, tab_id: int) -> HttpResponse:
    tab = _tab_ref(request, tab_id)
    keep = {"category": request.POST.get("category"), "course": request.POST.get("course")}
    try:
        try:
            product_id = int(request.POST.get("product_id", ""))
            modifier_ids = [
                int(value)
                for key in request.POST
                if key.startswith("modifier_")
                for value in request.POST.getlist(key)
            ][:20]
        except ValueError:
            raise InvalidInput(_("No such product."))
        # a dish of the menu the tablet shows (cached; active products without capacity)
        product = table_menu_products(property=request.property, ids=[product_id]).get(product_id)
        if product is None:
            raise InvalidInput(_("No such product."))
        line = tab_add_line(
            tab=tab,
            product=product,
            actor=request.user,
            quantity=parse_quantity(request.POST.get("quantity")),
            modifier_ids=modifier_ids,
            note=request.POST.get("note", ""),
            course=_int(request.POST.get("course"), 1),
            seat=_int(request.POST.get("seat"), 0),
        )
    except DomainError as exc:
        return _back(tab, exc, request, **keep)
    return _back(tab, request=request, fresh=line.tab, **keep)


@require_POST
@capability_required("pos.sell")
def tab_quantity(request: HttpRequest, tab_id: int, line_id: int) -> HttpResponse:
    """+ or − on a line not sent yet."""
    tab = _tab_ref(request, tab_id)
    try:
        line = tab_line_quantity(
            tab=tab,
            line_id=line_id,
            delta=1 if request.POST.get("delta") == "1" else -1,
            actor=request.user,
        )
    except DomainError as exc:
        return _back(tab, exc, request)
    return _back(tab, request=request, fresh=line.tab)


@require_POST
@capability_required("pos.sell")
def tab_options(request: HttpRequest, tab_id: int, line_id: int) -> HttpResponse:
    """One choice of a line not sent yet ticked or unticked, from the order line."""
    tab = _tab_ref(request, tab_id)
    try:
        try:
            product_id = int(request.POST.get("product_id", ""))
            modifier_id = int(request.POST.get("toggle", ""))
        except ValueError:
            raise InvalidInput(_("No such product."))
        product = table_menu_products(property=request.property, ids=[product_id]).get(product_id)
        if product is None:
            raise InvalidInput(_("No such product."))
        line = tab_line_option_toggle(
            tab=tab, line_id=line_id, product=product, modifier_id=modifier_id, actor=request.user
        )
    except DomainError as exc:
        return _back(tab, exc, request)
    return _back(tab, request=request, fresh=line.tab)


@require_POST
@capability_required("pos.sell")
def tab_repeat(request: HttpRequest, tab_id: int) -> HttpResponse:
    """The last line again (another round of the same)."""
    tab = _tab_ref(request, tab_id)
    try:
        line = tab_repeat_last_line(tab=tab, actor=request.user)
    except DomainError as exc:
        return _back(tab, exc, request)
    return _back(tab, request=request, fresh=line.tab)


@require_POST
@capability_required("pos.sell")
def tab_remove(request: HttpRequest, tab_id: int, line_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    try:
        tab_remove_line(tab=tab, line_id=line_id, actor=request.user)
    except DomainError as exc:
        return _back(tab, exc, request)
    return _back(tab, request=request)


def _approver(request: HttpRequest, *, needed: bool = True):
    """The manager approving on this screen: the signed-in user when they may approve,
    otherwise the manager chosen in the list, after their PIN."""
    if not needed or role_has(request.membership.role, "pos.approve"):
        return request.user  # (read no terminal for it)
    terminal = terminal_for_request(request)
    return approver_verify(
        property=request.property,
        user=request.user,
        role=request.membership.role,
        approver_id=_int(request.POST.get("approver")),
        pin=(request.POST.get("pin") or "")[:12],
        terminal=terminal_label(terminal) if terminal else "",
        device=request_device(request),
    )


@require_POST
@capability_required("pos.sell")
def tab_void(request: HttpRequest, tab_id: int, line_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    try:
        if not (request.POST.get("reason") or "").strip():
            raise InvalidInput(_("Give a reason for the void."))
        approver = _approver(request)
        tab_void_line(
            tab=tab,
            line_id=line_id,
            actor=request.user,
            approver=approver,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        return _back(tab, exc, request)
    messages.success(request, _("The item is voided."))
    return _back(tab, request=request)


@require_POST
@capability_required("pos.sell")
def tab_discount(request: HttpRequest, tab_id: int, line_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    try:
        try:
            percent = Decimal((request.POST.get("percent") or "").replace(",", ".").strip())
        except InvalidOperation:
            raise InvalidInput(_("A discount is between 0 and 100 %."))
        if not percent.is_finite():
            raise InvalidInput(_("A discount is between 0 and 100 %."))
        percent = percent.quantize(Decimal("0.01"))
        needs = percent > discount_limit(request.membership.role, request.membership.discount_limit)
        approver = _approver(request, needed=needs) if needs else None
        tab_line_discount(
            tab=tab, line_id=line_id, percent=percent, actor=request.user, approver=approver
        )
    except DomainError as exc:
        return _back(tab, exc, request)
    messages.success(request, _("Discount applied."))
    return _back(tab, request=request)


@require_POST
@capability_required("pos.sell")
def tab_send_view(request: HttpRequest, tab_id: int) -> HttpResponse:
    tab = _tab_ref(request, tab_id)
    try:
        if request.POST.get("action") == "fire":
            tab_fire_next_course(tab=tab, actor=request.user)
            messages.success(request, _("Next course fired."))
            return _back(tab, request=request)
        sent = tab_send_and_read(tab=tab, actor=request.user)
    except DomainError as exc:
        return _back(tab, exc, request)
    if sent.tickets:
        messages.success(request, _("Sent to the kitchen."))
    else:
        messages.error(request, _("Nothing new to send."))
    return _back(tab, request=request, fresh=sent.tab, lines=sent.lines)


@require_POST
@capability_required("pos.sell")
def tab_served(request: HttpRequest, tab_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    tab_mark_served(tab=tab, actor=request.user)
    return _back(tab, request=request)


@require_POST
@capability_required("pos.sell")
def tab_move(request: HttpRequest, tab_id: int) -> HttpResponse:
    """Transfer the tab to a free table, or merge it into another open table."""
    tab = _tab_or_404(request, tab_id)
    try:
        if request.POST.get("action") == "merge":
            target = TableTab.objects.filter(
                property=request.property,
                pk=_int(request.POST.get("target_tab"), 0),
                status=TableTab.Status.OPEN,
            ).first()
            if target is None:
                raise InvalidInput(_("Choose an open table."))
            merged = tab_merge(source=tab, target=target, actor=request.user)
            messages.success(
                request, _("Merged into table %(label)s.") % {"label": merged.table.label}
            )
            return redirect("pos:tab", tab_id=merged.pk)
        table = Table.objects.filter(
            property=request.property, pk=_int(request.POST.get("table"), 0), is_active=True
        ).first()
        if table is None:
            raise InvalidInput(_("Choose a free table."))
        moved = tab_transfer(tab=tab, to_table=table, actor=request.user)
    except DomainError as exc:
        return _back(tab, exc, request)
    messages.success(request, _("Moved to table %(label)s.") % {"label": moved.table.label})
    return _back(tab, request=request)


@require_POST
@capability_required("pos.sell")
def tab_guest_consent(request: HttpRequest, tab_id: int) -> HttpResponse:
    """The attached guest said yes to the offers by e-mail, as the sentence shown reads."""
    tab = _tab_or_404(request, tab_id)
    if tab.guest_id is None:
        return _back(tab, InvalidInput(_("Attach the guest first.")), request)
    consent_record(
        guest=tab.guest,
        given=True,
        source="pos",
        wording=str(MARKETING_WORDING),
        property=request.property,
        language=tab.guest.language,
        actor=request.user,
    )
    messages.success(request, _("The guest's consent is recorded."))
    return _back(tab, request=request)


@require_POST
@capability_required("pos.sell")
def tab_guest(request: HttpRequest, tab_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    try:
        reservation = reservation_by_reference(
            property=request.property, reference=(request.POST.get("reservation") or "")[:20]
        )
        if reservation is None:
            raise InvalidInput(_("Choose an in-house guest."))
        tab_attach_guest(tab=tab, reservation=reservation, actor=request.user)
    except DomainError as exc:
        return _back(tab, exc, request)
    return _back(tab, request=request)


def _money_field(raw, *, label: str) -> Decimal | None:
    raw = (raw or "").strip().replace(",", ".").replace("€", "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(_("Enter a valid amount for %(what)s.") % {"what": label})
    if not value.is_finite() or value < 0 or value > Decimal("1000000"):
        raise InvalidInput(_("Enter a valid amount for %(what)s.") % {"what": label})
    return quantize(value)


def tab_tenders(post, *, due: Decimal, tip: Decimal) -> list[TenderInput]:
    """The tenders of the payment button pressed, for `due` (+ `tip` on the card)."""
    action = post.get("action")
    if not action and post.get("tendered"):  # a quick amount of the cash numpad
        action = "cash"
    card_ref = (post.get("card_reference") or "").strip()[:100]
    voucher_ref = (post.get("voucher_reference") or "").strip()[:100]
    if tip and action not in ("card", "several"):
        raise InvalidInput(_("A tip is added to a card payment."))
    if action == "cash":
        raw = post.get("tendered")
        tendered = due if raw == "exact" else _money_field(raw, label=_("cash given")) or due
        if tendered < due:
            raise InvalidInput(_("The cash given is less than the amount due."))
        return [TenderInput(method="cash", amount=due, tendered=tendered)]
    if action == "card":
        if not card_ref:
            raise InvalidInput(_("Enter the card terminal reference."))
        return [TenderInput(method="card", amount=due + tip, terminal_reference=card_ref)]
    if action == "voucher":
        if not voucher_ref:
            raise InvalidInput(_("Enter the voucher code."))
        return [TenderInput(method="voucher", amount=due, terminal_reference=voucher_ref)]
    if action == "gift_card":
        code = (post.get("gift_card_code") or "").strip()[:40]
        if not code:
            raise InvalidInput(_("Enter or scan the gift card's code."))
        return [TenderInput(method="gift_card", amount=due, terminal_reference=code)]
    if action == "loyalty":
        return [TenderInput(method="loyalty", amount=due)]
    if action in TITLE_ACTIONS:
        return title_tenders(post, action=action, due=due, amount=_money_field)
    if action == "several":
        cash = _money_field(post.get("cash_amount"), label=_("cash part")) or ZERO
        voucher = _money_field(post.get("voucher_amount"), label=_("voucher part")) or ZERO
        card = due - cash - voucher
        if cash < 0 or card < 0 or (cash + voucher) <= 0:
            raise InvalidInput(_("The cash and voucher parts must be less than the amount due."))
        tenders = []
        if cash:
            tendered = _money_field(post.get("tendered"), label=_("cash given")) or cash
            if tendered < cash:
                raise InvalidInput(_("The cash given is less than the cash part."))
            tenders.append(TenderInput(method="cash", amount=cash, tendered=tendered))
        if voucher:
            if not voucher_ref:
                raise InvalidInput(_("Enter the voucher code."))
            tenders.append(
                TenderInput(method="voucher", amount=voucher, terminal_reference=voucher_ref)
            )
        if card or tip:
            if not card_ref:
                raise InvalidInput(_("Enter the card terminal reference."))
            tenders.append(
                TenderInput(method="card", amount=card + tip, terminal_reference=card_ref)
            )
        return tenders
    raise InvalidInput(_("Choose a payment method."))


@require_POST
@capability_required("pos.sell")
def tab_split(request: HttpRequest, tab_id: int) -> HttpResponse:
    tab = _tab_or_404(request, tab_id)
    try:
        tab_set_split(tab=tab, parts=_int(request.POST.get("parts"), 0), actor=request.user)
    except DomainError as exc:
        return _back(tab, exc, request)
    return _back(tab, request=request)


@require_POST
@capability_required("pos.sell")
def tab_pay(request: HttpRequest, tab_id: int) -> HttpResponse:
    """Pay the bill or one part of it (split by item, cover or amount); a double tap replays
    the part by its pay key."""
    pay_key = (request.POST.get("pay_key") or "").strip()[:80]
    # the screen's form always sends a key (a double tap with it is answered by tab_pay_part
    # with the part already paid); without one, the tab's own key and state are needed
    tab = _tab_ref(request, tab_id) if pay_key else _tab_or_404(request, tab_id)
    if not pay_key and tab.order_id:
        return redirect("pos:counter_receipt", order_id=tab.order_id)
    terminal = terminal_for_request(request)
    try:
        if terminal is None:
            raise InvalidInput(_("This device is not bound to a terminal."))
        kind = request.POST.get("split") or TabPart.Kind.FULL
        if kind not in TabPart.Kind.values:
            raise InvalidInput(_("Choose how to split the bill."))
        tip = _money_field(request.POST.get("tip"), label=_("tip")) or ZERO
        room_number = None
        if request.POST.get("action") == "room":
            room_number = (request.POST.get("room_number") or "").strip()[:20]
            if not room_number:
                raise InvalidInput(_("Enter a room number."))
            if tip:
                raise InvalidInput(_("A tip is added to a card payment."))
            if not request.POST.get("room_confirmed"):
                return _room_confirm(request, tab, room_number)
        line_ids = [_int(v) for v in request.POST.getlist("line")]
        if None in line_ids:
            raise InvalidInput(_("Choose the items this guest pays."))
        paid = tab_pay_part(
            tab=tab,
            terminal=terminal,
            actor=request.user,
            kind=kind,
            line_ids=line_ids,
            amount=_money_field(request.POST.get("amount"), label=_("amount")),
            tenders_for=None
            if room_number
            else (lambda due: tab_tenders(request.POST, due=due, tip=tip)),
            room_number=room_number,
            tip=tip,
            client_key=pay_key or str(tab.client_key),
        )
    except DomainError as exc:
        return _back(tab, exc, request)
    return _after_part(request, tab, paid)


def _room_confirm(request: HttpRequest, tab: TableTab, room_number: str) -> HttpResponse:
    """The cart again with the question "charge X to room N, guest's name?" above it."""
    tab = _tab_or_404(request, tab.pk)
    context = {**_cart_context(request, tab), "partial": True}
    url = reverse("pos:tab_pay", args=[tab.pk])
    kind = request.POST.get("split")
    amount = context["due_now"]
    if kind == TabPart.Kind.AMOUNT:
        amount = _money_field(request.POST.get("amount"), label=_("amount")) or amount
    elif kind == TabPart.Kind.ITEMS:
        picked = {_int(v) for v in request.POST.getlist("line")}
        amount = sum(
            (p.total for _l, p, _c, _h in context["rows"] if p and p.line.pk in picked), ZERO
        )
    context["room_confirm"] = room_confirm_context(
        request,
        room_number=room_number,
        amount=amount,
        url=url,
        back=reverse("pos:tab", args=[tab.pk]),
        target="#cart",
    )
    if _is_partial(request):
        return render(request, "pos/tab.html#cart", context)
    return render(request, "pos/tab.html", {**_page_context(request, tab), **context})


def _after_part(request: HttpRequest, tab: TableTab, paid: PaidPart) -> HttpResponse:
    part = paid.part
    if TabPart.tab.is_cached(part):
        status = part.tab.status  # the tab the payment just locked and updated
    else:  # a replay: read it again
        tab.refresh_from_db(fields=["status"])
        status = tab.status
    if status == TableTab.Status.CLOSED:
        if _is_partial(request):
            # the rows the payment wrote; a replay's, read back
            sale = paid.sale or Sale.of_order(
                order_get(property=request.property, order_id=part.order_id)
            )
            url = reverse("pos:counter_receipt", args=[part.order_id])
            return _show_screen(request, receipt_page(request, sale, main_only=True), url)
        return redirect("pos:counter_receipt", order_id=part.order_id)
    messages.success(
        request,
        _("Part paid (receipt %(ticket)s). Next part.") % {"ticket": part.order.ticket},
    )
    return _back(tab, request=request)
