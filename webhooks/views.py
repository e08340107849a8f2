"""The manager's webhook screens: subscriptions, their delivery log, resend."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from webhooks import selectors, services
from webhooks.events import EVENTS


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _subscription_or_404(request: HttpRequest, pk: int):
    subscription = selectors.subscription_get(property=request.property, pk=pk)
    if subscription is None:
        raise Http404
    return subscription


@capability_required("manage")
def subscription_list(request: HttpRequest) -> HttpResponse:
    """The property's subscriptions; add one."""
    form = {"url": "", "description": "", "events": []}
    if request.method == "POST":
        form = {
            "url": request.POST.get("url", ""),
            "description": request.POST.get("description", ""),
            "events": request.POST.getlist("events"),
        }
        try:
            subscription = services.webhook_subscription_create(
                property=request.property, actor=request.user, **form
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Webhook added."))
            return redirect("webhooks:detail", pk=subscription.pk)
    return render(
        request,
        "webhooks/list.html",
        {
            "subscriptions": selectors.subscriptions_list(property=request.property),
            "events": EVENTS.items(),
            "form": form,
        },
        status=422 if request.method == "POST" else 200,
    )


@capability_required("manage")
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One subscription: its secret, events, switch, and the delivery log."""
    subscription = _subscription_or_404(request, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "update":
                services.webhook_subscription_update(
                    subscription=subscription,
                    url=request.POST.get("url", subscription.url),
                    events=request.POST.getlist("events"),
                    description=request.POST.get("description", ""),
                    is_active=request.POST.get("is_active") == "on",
                    actor=request.user,
                )
                messages.success(request, _("Webhook saved."))
            elif action == "rotate":
                services.webhook_secret_rotate(subscription=subscription, actor=request.user)
                messages.success(request, _("New secret generated: the old one no longer works."))
            elif action == "delete":
                services.webhook_subscription_delete(subscription=subscription, actor=request.user)
                messages.success(request, _("Webhook deleted."))
                return redirect("webhooks:list")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("webhooks:detail", pk=subscription.pk)
    return render(
        request,
        "webhooks/detail.html",
        {
            "subscription": subscription,
            "events": EVENTS.items(),
            "deliveries": selectors.deliveries_list(subscription=subscription),
        },
    )


@require_POST
@capability_required("manage")
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a delivery again, as it was (same webhook-id)."""
    delivery = selectors.delivery_get(property=request.property, pk=pk)
    if delivery is None:
        raise Http404
    services.webhook_resend(delivery=delivery, actor=request.user)
    messages.success(request, _("Sent again."))
    return redirect("webhooks:detail", pk=delivery.subscription_id)
