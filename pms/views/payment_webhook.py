"""The card provider's webhooks: POST /book/payments/webhook/ (Stripe-Signature style).

CSRF-exempt only because every delivery is verified: HMAC-SHA256 of "t.payload" with the
webhook secret, within the tolerance window. A bad signature answers 400 and changes
nothing; a replayed event answers 200 and changes nothing (pms.services.online_payments)."""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pms.services.online_payments import payment_webhook_receive
from pms.services.payment_gateway import SignatureInvalid, webhook_verify

logger = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


@csrf_exempt  # signature-verified below: a forged or replayed-late delivery is refused
@require_POST
def receive(request: HttpRequest) -> HttpResponse:
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": "too large"}, status=413)
    try:
        event = webhook_verify(
            payload=request.body,
            header=request.headers.get("Stripe-Signature", ""),
            secret=settings.PAYMENT_PROVIDER_WEBHOOK_SECRET or "",
            tolerance=settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
        )
    except SignatureInvalid as exc:
        logger.warning("payment webhook refused: %s", exc)
        return JsonResponse({"error": "invalid signature"}, status=400)
    applied = payment_webhook_receive(event=event)
    return JsonResponse({"received": True, "replay": not applied})
