"""The online card provider's HTTP API (Stripe-style PaymentIntents), standard library only.

Form-encoded POSTs with a Bearer secret key and an `Idempotency-Key`, JSON answers, errors as
`{"error": {"type", "code", "decline_code", "message"}}` (HTTP 402 for a declined card).
Every call has a timeout and is made outside any database transaction: the callers in
pms.services.online_payments call it before or after their short transactions.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings


class GatewayError(Exception):
    """The provider refused (4xx, a terminal answer) or could not be reached (retryable)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        type: str = "",
        code: str = "",
        decline_code: str = "",
        intent: dict | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.decline_code = decline_code
        self.intent = intent

    @property
    def retryable(self) -> bool:
        """Network errors, timeouts, 409 (idempotent request in flight), 429 and 5xx."""
        return self.status == 0 or self.status in (409, 429) or self.status >= 500


class SignatureInvalid(Exception):
    """A webhook whose signature, timestamp or body cannot be trusted."""


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding: metadata[key]=value."""
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            pairs.extend(_flatten(value, name))
        elif value is not None:
            pairs.append((name, str(value)))
    return pairs


@dataclass(frozen=True)
class PaymentGateway:
    base_url: str
    secret_key: str
    timeout: float

    @classmethod
    def from_settings(cls) -> "PaymentGateway":
        return cls(
            base_url=settings.PAYMENT_PROVIDER_URL.rstrip("/"),
            secret_key=settings.PAYMENT_PROVIDER_SECRET_KEY or "",
            timeout=float(settings.PAYMENT_PROVIDER_TIMEOUT),
        )

    def _call(
        self, method: str, path: str, data: dict | None = None, idempotency_key: str = ""
    ) -> dict:
        body = urllib.parse.urlencode(_flatten(data or {})).encode() if method == "POST" else None
        if not self.base_url.startswith(("https://", "http://")):
            raise GatewayError("PAYMENT_PROVIDER_URL must be an http(s) address", status=400)
        # the scheme is checked just above: no file: or custom scheme reaches urlopen
        request = urllib.request.Request(  # noqa: S310
            f"{self.base_url}{path}", data=body, method=method
        )
        request.add_header("Authorization", f"Bearer {self.secret_key}")
        if body is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        if idempotency_key:
            request.add_header("Idempotency-Key", idempotency_key)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read().decode())
        except urllib.error.HTTPError as exc:
            try:
                error = json.loads(exc.read().decode()).get("error") or {}
            except (ValueError, AttributeError):
                error = {}
            raise GatewayError(
                error.get("message") or f"HTTP {exc.code}",
                status=exc.code,
                type=error.get("type", ""),
                code=error.get("code", ""),
                decline_code=error.get("decline_code", ""),
                intent=error.get("payment_intent"),
            ) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise GatewayError(f"provider unreachable: {exc}") from exc
        except ValueError as exc:  # not JSON
            raise GatewayError(f"unreadable answer: {exc}", status=502) from exc

    def intent_create(
        self, *, amount_cents: int, currency: str, metadata: dict, idempotency_key: str
    ) -> dict:
        return self._call(
            "POST",
            "/v1/payment_intents",
            {
                "amount": amount_cents,
                "currency": currency.lower(),
                "metadata": metadata,
                "automatic_payment_methods": {"enabled": "true"},
            },
            idempotency_key=idempotency_key,
        )

    def intent_retrieve(self, intent_id: str) -> dict:
        return self._call("GET", f"/v1/payment_intents/{urllib.parse.quote(intent_id)}")

    def intent_confirm(
        self, intent_id: str, *, payment_method: str, return_url: str, idempotency_key: str
    ) -> dict:
        return self._call(
            "POST",
            f"/v1/payment_intents/{urllib.parse.quote(intent_id)}/confirm",
            {"payment_method": payment_method, "return_url": return_url},
            idempotency_key=idempotency_key,
        )

    def intent_cancel(self, intent_id: str, *, idempotency_key: str) -> dict:
        return self._call(
            "POST",
            f"/v1/payment_intents/{urllib.parse.quote(intent_id)}/cancel",
            {},
            idempotency_key=idempotency_key,
        )

    def refund_create(
        self, *, intent_id: str, amount_cents: int, reason: str, idempotency_key: str
    ) -> dict:
        return self._call(
            "POST",
            "/v1/refunds",
            {
                "payment_intent": intent_id,
                "amount": amount_cents,
                "reason": reason,
                "metadata": {"source": "auberge"},
            },
            idempotency_key=idempotency_key,
        )

    def hosted_page_url(self, intent: dict, *, return_url: str) -> str:
        """Where the guest types the card: the provider's page, never ours."""
        url = settings.PAYMENT_PROVIDER_HOSTED_URL.format(
            base=self.base_url,
            id=urllib.parse.quote(intent["id"]),
            client_secret=urllib.parse.quote(intent.get("client_secret", "")),
        )
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}{urllib.parse.urlencode({'return_url': return_url})}"


def hosted_page_origin() -> str:
    """The origin of the provider's payment page (for the payment step's form-action)."""
    url = settings.PAYMENT_PROVIDER_HOSTED_URL.format(
        base=settings.PAYMENT_PROVIDER_URL.rstrip("/"), id="x", client_secret="x"
    )
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


def webhook_signature(*, secret: str, payload: bytes, timestamp: int) -> str:
    """The `Stripe-Signature` header value: t=…,v1=HMAC-SHA256(secret, "t.payload")."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_verify(
    *, payload: bytes, header: str, secret: str, tolerance: int, now: float | None = None
) -> dict:
    """The event of a signed delivery. Raises SignatureInvalid (missing or wrong signature,
    timestamp outside the tolerance window, body not JSON)."""
    if not secret:
        raise SignatureInvalid("no webhook secret configured")
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        key, _sep, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts.get("t", [""])[0])
    except ValueError:
        raise SignatureInvalid("no timestamp")
    expected = webhook_signature(secret=secret, payload=payload, timestamp=timestamp).split("v1=")[
        1
    ]
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise SignatureInvalid("signature mismatch")
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        raise SignatureInvalid("timestamp outside the tolerance")
    try:
        event = json.loads(payload.decode())
    except (ValueError, UnicodeDecodeError):
        raise SignatureInvalid("body is not JSON")
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise SignatureInvalid("not an event")
    return event
