"""Gift cards bought in the booking engine (/book/<slug>/gift-cards/, no sign-in) and the
manager's screen choosing the amounts offered (/manage/gift-cards-online/). The sale is
pos's (pos.services.online_gift_cards), so the pages live here, mounted under /book/ with
the engine's look, its CSRF check without cookie (booking_csrf) and its frame policy."""

from uuid import uuid4

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from core.csp import booking_engine_frame_policy, form_action
from core.exceptions import DomainError
from core.scoping import capability_required
from crm.selectors import formatted_code
from crm.services.campaigns import qr_png
from pms.services.payment_gateway import hosted_page_origin
from pms.views.booking import RATE, _form_token, _language, _limited, _property
from pms.views.booking_csrf import booking_post_refused
from pos.models import OnlineGiftCardPurchase
from pos.services.online_gift_cards import (
    gift_card_products_for_online,
    kind_label,
    online_gift_card_cards,
    online_gift_card_offers,
    online_gift_card_offers_set,
    online_gift_card_refresh,
    online_gift_card_start,
    online_gift_cards_available,
    parse_amounts,
)


def _grouped(offers):
    groups: dict = {}
    for offer in offers:
        groups.setdefault(offer.product, []).append(offer)
    return [{"product": p, "label": kind_label(p), "offers": items} for p, items in groups.items()]


@booking_engine_frame_policy
@csrf_exempt  # the POST is checked without the cookie a framed engine lacks (booking_csrf)
@ratelimit(key="ip", rate=RATE, method="POST", block=False)
@require_http_methods(["GET", "POST"])
def offers(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the property's gift cards and their amounts; POST: buyer, recipient, amount →
    the provider's payment page."""
    prop = _property(request, slug)
    _language(request)
    if getattr(request, "limited", False):
        return _limited(request, prop)
    if (refused := booking_post_refused(request, prop)) is not None:
        return refused
    data = request.POST if request.method == "POST" else {}
    error, field, status = "", "", 200
    if request.method == "POST":
        raw_offer = data.get("offer") or ""
        offers_url = reverse("gift_cards_online:offers", kwargs={"slug": slug})
        return_url = (
            request.build_absolute_uri(offers_url)
            + "{public_id}/?lang="
            + (translation.get_language() or "fr")
        )
        try:
            _purchase, url = online_gift_card_start(
                property=prop,
                offer_id=int(raw_offer) if raw_offer.isdigit() else 0,
                buyer_first_name=data.get("first_name", "")[:100],
                buyer_last_name=data.get("last_name", "")[:100],
                buyer_email=data.get("email", "")[:254],
                recipient_name=data.get("recipient_name", "")[:200],
                recipient_email=data.get("recipient_email", "")[:254],
                language=translation.get_language() or "fr",
                client_key=(data.get("key") or "")[:60],
                return_url=return_url,
            )
        except DomainError as exc:
            error, status = exc.message, (503 if exc.status_code == 503 else 422)
            field = exc.extra.get("field", "")
        else:
            return redirect(url)
    available = online_gift_cards_available(property=prop)
    response = render(
        request,
        "pos/online_gift_cards/offers.html",
        {
            "property": prop,
            "groups": _grouped(online_gift_card_offers(property=prop)) if available else [],
            "data": data,
            "key": data.get("key") or uuid4().hex,
            "error": error,
            "error_field": field,
            "lang": translation.get_language(),
            **_form_token(prop),
        },
        status=status,
    )
    if origin := hosted_page_origin():
        form_action(response, [origin])  # the POST is answered by the provider's page
    return response


def _purchase(prop, public_id) -> OnlineGiftCardPurchase:
    return get_object_or_404(
        OnlineGiftCardPurchase.objects.select_related("offer__product", "order"),
        property=prop,
        public_id=public_id,
    )


@booking_engine_frame_policy
@ratelimit(key="ip", rate=RATE, method="GET", block=False)
@require_GET
def payment_return(request: HttpRequest, slug: str, public_id) -> HttpResponse:
    """The buyer is back from the provider's page: the intent is read back (never trusted
    from the address); paid → the card's code and QR; declined → try again; not completed
    → said so, nothing issued."""
    prop = _property(request, slug)
    _language(request)
    if getattr(request, "limited", False):
        return _limited(request, prop)
    purchase = online_gift_card_refresh(purchase=_purchase(prop, public_id))
    cards = online_gift_card_cards(purchase)
    retry_url = ""
    if purchase.status == OnlineGiftCardPurchase.Status.AWAITING_PAYMENT:
        retry_url = reverse(
            "gift_cards_online:retry", kwargs={"slug": slug, "public_id": public_id}
        )
    response = render(
        request,
        "pos/online_gift_cards/done.html",
        {
            "property": prop,
            "purchase": purchase,
            "cards": [(formatted_code(c.code), c) for c in cards],
            "retry_url": retry_url,
            "lang": translation.get_language(),
            "Status": OnlineGiftCardPurchase.Status,
        },
    )
    return response


@booking_engine_frame_policy
@require_GET
def retry(request: HttpRequest, slug: str, public_id) -> HttpResponse:
    """Back to the provider's page of an unpaid purchase (another card)."""
    from pms.services.payment_gateway import GatewayError, PaymentGateway

    prop = _property(request, slug)
    _language(request)
    purchase = _purchase(prop, public_id)
    back = reverse("gift_cards_online:return", kwargs={"slug": slug, "public_id": public_id})
    if purchase.status != OnlineGiftCardPurchase.Status.AWAITING_PAYMENT:
        return redirect(back)
    gateway = PaymentGateway.from_settings()
    try:
        intent = gateway.intent_retrieve(purchase.intent_id)
    except GatewayError:
        return redirect(back)
    return redirect(
        gateway.hosted_page_url(
            intent,
            return_url=request.build_absolute_uri(back) + f"?lang={translation.get_language()}",
        )
    )


@require_GET
def qr(request: HttpRequest, slug: str, public_id) -> HttpResponse:
    """The QR code of a paid purchase's card (the unguessable purchase id names it)."""
    prop = _property(request, slug)
    purchase = _purchase(prop, public_id)
    cards = online_gift_card_cards(purchase)
    if not cards:
        raise Http404
    response = HttpResponse(qr_png(cards[0].code), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def manage(request: HttpRequest) -> HttpResponse:
    """The manager chooses the amounts of each gift-card product offered online."""
    prop = request.property
    error, error_product, status, saved = "", None, 200, False
    if request.method == "POST":
        raw = request.POST.get("product") or ""
        try:
            online_gift_card_offers_set(
                property=prop,
                product_id=int(raw) if raw.isdigit() else 0,
                amounts=parse_amounts(request.POST.get("amounts", "")),
                actor=request.user,
            )
        except DomainError as exc:
            error, status = exc.message, 422
            error_product = int(raw) if raw.isdigit() else None
        else:
            return redirect(reverse("gift_cards_online:manage") + "?saved=1")
    else:
        saved = request.GET.get("saved") == "1"
    rows = [
        {
            "product": product,
            "label": kind_label(product),
            "amounts": "; ".join(f"{a:f}".replace(".00", "").replace(".", ",") for a in amounts),
            "posted": request.POST.get("amounts", "") if error_product == product.pk else None,
        }
        for product, amounts in gift_card_products_for_online(property=prop)
    ]
    return render(
        request,
        "pos/online_gift_cards/manage.html",
        {
            "rows": rows,
            "error": error,
            "error_product": error_product,
            "saved": saved,
            "available": online_gift_cards_available(property=prop),
            "engine_url": reverse("gift_cards_online:offers", kwargs={"slug": prop.slug}),
        },
        status=status,
    )
