"""A faithful local fake of a Stripe-style PaymentIntents API on 127.0.0.1 (threaded).

It speaks the documented shapes: form-encoded POST /v1/payment_intents, GET
/v1/payment_intents/{id}, POST /v1/payment_intents/{id}/confirm and /cancel, POST /v1/refunds;
Bearer secret key; Idempotency-Key (same key + same parameters = the first answer, other
parameters = 400 idempotency_error); errors as {"error": {type, code, decline_code, message}}
with HTTP 402 for a declined card. Its hosted page (/pay/{id}) takes a test card number and
its 3-D Secure page (/3ds/{id}) completes or fails the authentication; then it redirects to
the return_url and sends signed webhooks (Stripe-Signature: t=…,v1=HMAC-SHA256) to the
configured endpoint. Tests can hold webhooks, replay them, send them out of order, make the
next API call time out, and read every request it received.

Test cards and payment methods (Stripe's): 4242 4242 4242 4242 / pm_card_visa succeeds;
4000 0000 0000 0002 / pm_card_chargeDeclined declines (generic_decline); 4000 0000 0000 9995
/ pm_card_chargeDeclinedInsufficientFunds (insufficient_funds); 4000 0027 6000 3184 /
pm_card_threeDSecure2Required asks for 3-D Secure.
"""

import hashlib
import hmac
import html
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CARDS = {
    "4242424242424242": "pm_card_visa",
    "4000000000000002": "pm_card_chargeDeclined",
    "4000000000009995": "pm_card_chargeDeclinedInsufficientFunds",
    "4000002760003184": "pm_card_threeDSecure2Required",
}
DECLINES = {
    "pm_card_chargeDeclined": ("generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
}


def _parse_form(body: str) -> dict:
    """metadata[key]=v → {"metadata": {"key": "v"}} (Stripe's form encoding)."""
    out: dict = {}
    for key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        if "[" in key and key.endswith("]"):
            outer, inner = key[:-1].split("[", 1)
            out.setdefault(outer, {})[inner] = value
        else:
            out[key] = value
    return out


class FakePaymentProvider:
    def __init__(self, *, secret_key: str = "sk_test_fake", webhook_secret: str = "whsec_fake"):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.webhook_url = ""
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.events: list[dict] = []  # every event made, in order
        self.deliveries: list[tuple[str, int]] = []  # (event id, HTTP status answered)
        self.hold_webhooks = False  # keep events in `events` without sending them
        self.timeout_next = 0.0  # seconds the next API call sleeps before answering
        self._idempotency: dict[str, tuple[str, int, dict]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle -----------------------------------------------------------------
    def start(self) -> "FakePaymentProvider":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- objects -------------------------------------------------------------------
    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    def _intent_create(self, form: dict) -> tuple[int, dict]:
        try:
            amount = int(form.get("amount", ""))
        except ValueError:
            return 400, self._error("invalid_request_error", "parameter_invalid_integer", "amount")
        if amount < 50:
            return 400, self._error("invalid_request_error", "amount_too_small", "amount")
        intent_id = self._id("pi")
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": form.get("currency", "eur"),
            "status": "requires_payment_method",
            "client_secret": f"{intent_id}_secret_{next(self._ids)}",
            "metadata": form.get("metadata", {}),
            "last_payment_error": None,
            "next_action": None,
            "latest_charge": None,
            "created": int(time.time()),
            "livemode": False,
        }
        self.intents[intent_id] = intent
        self._event("payment_intent.created", intent)
        return 200, intent

    def _confirm(self, intent: dict, payment_method: str, return_url: str = "") -> tuple[int, dict]:
        if intent["status"] in ("succeeded", "canceled"):
            return 400, self._error(
                "invalid_request_error",
                "payment_intent_unexpected_state",
                message=f"This PaymentIntent's status is {intent['status']}.",
                intent=intent,
            )
        intent["return_url"] = return_url or intent.get("return_url", "")
        if payment_method in DECLINES:
            decline_code, message = DECLINES[payment_method]
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": decline_code,
                "message": message,
            }
            self._event("payment_intent.payment_failed", intent)
            error = self._error("card_error", "card_declined", message=message, intent=intent)
            error["error"]["decline_code"] = decline_code
            return 402, error
        if payment_method == "pm_card_threeDSecure2Required":
            intent["status"] = "requires_action"
            intent["last_payment_error"] = None
            intent["next_action"] = {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "url": f"{self.url}/3ds/{intent['id']}",
                    "return_url": intent["return_url"],
                },
            }
            self._event("payment_intent.requires_action", intent)
            return 200, intent
        if payment_method not in CARDS.values():
            return 400, self._error("invalid_request_error", "resource_missing", "payment_method")
        self._succeed(intent)
        return 200, intent

    def _succeed(self, intent: dict) -> None:
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        intent["last_payment_error"] = None
        intent["next_action"] = None
        intent["latest_charge"] = self._id("ch")
        self._event("payment_intent.succeeded", intent)

    def _refund_create(self, form: dict) -> tuple[int, dict]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None:
            return 400, self._error("invalid_request_error", "resource_missing", "payment_intent")
        if intent["status"] != "succeeded":
            return 400, self._error(
                "invalid_request_error", "charge_not_refundable", "payment_intent"
            )
        refunded = sum(
            r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
        )
        amount = int(form.get("amount") or intent["amount"] - refunded)
        if amount <= 0 or refunded + amount > intent["amount"]:
            return 400, self._error(
                "invalid_request_error",
                "charge_already_refunded" if refunded >= intent["amount"] else "amount_too_large",
                "amount",
            )
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"],
            "status": "succeeded",
            "reason": form.get("reason") or None,
            "metadata": form.get("metadata", {}),
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        self._event("refund.created", refund)
        return 200, refund

    @staticmethod
    def _error(
        type: str, code: str, param: str = "", *, message: str = "", intent: dict | None = None
    ) -> dict:
        error = {"type": type, "code": code, "message": message or f"{code}: {param}"}
        if param:
            error["param"] = param
        if intent is not None:
            error["payment_intent"] = json.loads(json.dumps(intent))
        return {"error": error}

    # --- webhooks ------------------------------------------------------------------
    def _event(self, kind: str, obj: dict) -> dict:
        event = {
            "id": self._id("evt"),
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": json.loads(json.dumps(obj))},
            "livemode": False,
        }
        self.events.append(event)
        if not self.hold_webhooks and kind != "payment_intent.created":
            self.deliver(event)
        return event

    def sign(self, payload: bytes, timestamp: int | None = None, secret: str = "") -> str:
        timestamp = int(time.time()) if timestamp is None else timestamp
        signed = f"{timestamp}.".encode() + payload
        digest = hmac.new((secret or self.webhook_secret).encode(), signed, hashlib.sha256)
        return f"t={timestamp},v1={digest.hexdigest()}"

    def deliver(self, event: dict, *, signature: str | None = None, timestamp=None) -> int:
        """POST one event to the webhook endpoint (a replay is the same event again)."""
        if not self.webhook_url:
            return 0
        payload = json.dumps(event).encode()
        request = urllib.request.Request(self.webhook_url, data=payload, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header(
            "Stripe-Signature",
            signature if signature is not None else self.sign(payload, timestamp),
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        self.deliveries.append((event["id"], status))
        return status

    def events_of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]

    # --- HTTP ----------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout the test asked for)

            def _html(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _redirect(self, url: str) -> None:
                self.send_response(303)
                self.send_header("Location", url)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _body(self) -> str:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length).decode() if length else ""

            def _api(self, method: str) -> None:
                body = self._body() if method == "POST" else ""
                form = _parse_form(body)
                path = urllib.parse.urlsplit(self.path).path
                fake.requests.append(
                    {
                        "method": method,
                        "path": path,
                        "form": form,
                        "idempotency_key": self.headers.get("Idempotency-Key", ""),
                    }
                )
                if fake.timeout_next:
                    delay, fake.timeout_next = fake.timeout_next, 0.0
                    time.sleep(delay)
                if self.headers.get("Authorization") != f"Bearer {fake.secret_key}":
                    self._send(
                        401,
                        {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}},
                    )
                    return
                key = self.headers.get("Idempotency-Key", "")
                with fake._lock:
                    if method == "POST" and key and key in fake._idempotency:
                        first_body, status, answer = fake._idempotency[key]
                        if first_body != f"{path}?{body}":
                            status, answer = (
                                400,
                                fake._error(
                                    "idempotency_error",
                                    "idempotency_key_in_use",
                                    message="Keys for idempotent requests can only be used with "
                                    "the same parameters they were first used with.",
                                ),
                            )
                        self._send(status, answer)
                        return
                    status, answer = self._route(method, path, form)
                    if method == "POST" and key and status != 409 and status < 500:
                        fake._idempotency[key] = (f"{path}?{body}", status, answer)
                self._send(status, answer)

            def _route(self, method: str, path: str, form: dict) -> tuple[int, dict]:
                parts = path.strip("/").split("/")
                if method == "POST" and parts == ["v1", "payment_intents"]:
                    return fake._intent_create(form)
                if method == "POST" and parts == ["v1", "refunds"]:
                    return fake._refund_create(form)
                if len(parts) >= 3 and parts[:2] == ["v1", "payment_intents"]:
                    intent = fake.intents.get(parts[2])
                    if intent is None:
                        return 404, fake._error("invalid_request_error", "resource_missing", "id")
                    if method == "GET" and len(parts) == 3:
                        return 200, intent
                    if method == "POST" and parts[3:] == ["confirm"]:
                        return fake._confirm(
                            intent, form.get("payment_method", ""), form.get("return_url", "")
                        )
                    if method == "POST" and parts[3:] == ["cancel"]:
                        if intent["status"] == "succeeded":
                            return 400, fake._error(
                                "invalid_request_error", "payment_intent_unexpected_state"
                            )
                        intent["status"] = "canceled"
                        fake._event("payment_intent.canceled", intent)
                        return 200, intent
                return 404, fake._error("invalid_request_error", "resource_missing", path)

            # the guest's pages (hosted payment page, 3-D Secure challenge)
            def _page(self, method: str) -> None:
                split = urllib.parse.urlsplit(self.path)
                parts = split.path.strip("/").split("/")
                query = dict(urllib.parse.parse_qsl(split.query))
                intent = fake.intents.get(parts[1]) if len(parts) >= 2 else None
                if intent is None:
                    self._html(404, "<h1>Unknown payment</h1>")
                    return
                if parts[0] == "pay" and method == "GET":
                    if query.get("client_secret") != intent["client_secret"]:
                        self._html(403, "<h1>Forbidden</h1>")
                        return
                    if query.get("return_url"):
                        intent["return_url"] = query["return_url"]
                    self._html(200, self._pay_page(intent, ""))
                    return
                if parts[0] == "pay" and method == "POST":
                    form = _parse_form(self._body())
                    card = "".join(ch for ch in form.get("card_number", "") if ch.isdigit())
                    with fake._lock:
                        status, answer = fake._confirm(
                            intent, CARDS.get(card, "pm_card_unknown"), intent.get("return_url", "")
                        )
                    if status == 402:
                        self._html(402, self._pay_page(intent, answer["error"]["message"]))
                    elif status != 200:
                        self._html(status, self._pay_page(intent, "This card is not accepted."))
                    elif intent["status"] == "requires_action":
                        self._redirect(intent["next_action"]["redirect_to_url"]["url"])
                    else:
                        self._redirect(self._return_to(intent))
                    return
                if parts[0] == "3ds" and method == "GET":
                    self._html(200, self._challenge_page(intent))
                    return
                if parts[0] == "3ds" and method == "POST" and len(parts) == 3:
                    with fake._lock:
                        if intent["status"] == "requires_action":
                            if parts[2] == "complete":
                                fake._succeed(intent)
                            else:
                                intent["status"] = "requires_payment_method"
                                intent["next_action"] = None
                                intent["last_payment_error"] = {
                                    "type": "card_error",
                                    "code": "payment_intent_authentication_failure",
                                    "message": "The authentication failed.",
                                }
                                fake._event("payment_intent.payment_failed", intent)
                    self._redirect(self._return_to(intent))
                    return
                self._html(404, "<h1>Not found</h1>")

            @staticmethod
            def _return_to(intent: dict) -> str:
                url = intent.get("return_url") or "/"
                separator = "&" if "?" in url else "?"
                status = "succeeded" if intent["status"] == "succeeded" else "failed"
                return f"{url}{separator}payment_intent={intent['id']}&redirect_status={status}"

            @staticmethod
            def _pay_page(intent: dict, error: str) -> str:
                amount = f"{intent['amount'] / 100:.2f} {intent['currency'].upper()}"
                alert = f'<p role="alert" data-testid="fake-error">{html.escape(error)}</p>'
                return (
                    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                    "<title>FakePay</title></head><body>"
                    f"<h1>FakePay</h1><p data-testid='fake-amount'>Pay {amount}</p>"
                    f"{alert if error else ''}"
                    f"<form method='post' action='/pay/{intent['id']}'>"
                    "<label for='card'>Card number</label>"
                    "<input id='card' name='card_number' autocomplete='off'>"
                    "<button type='submit' data-testid='fake-pay'>Pay</button></form>"
                    f"<p><a href='{html.escape(Handler._return_to(intent))}'>Back</a></p>"
                    "</body></html>"
                )

            @staticmethod
            def _challenge_page(intent: dict) -> str:
                return (
                    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                    "<title>3-D Secure</title></head><body><h1>Your bank</h1>"
                    f"<form method='post' action='/3ds/{intent['id']}/complete'>"
                    "<button type='submit' data-testid='fake-3ds-complete'>Complete</button>"
                    "</form>"
                    f"<form method='post' action='/3ds/{intent['id']}/fail'>"
                    "<button type='submit' data-testid='fake-3ds-fail'>Fail</button></form>"
                    "</body></html>"
                )

            def do_GET(self):
                if self.path.startswith("/v1/"):
                    self._api("GET")
                else:
                    self._page("GET")

            def do_POST(self):
                if self.path.startswith("/v1/"):
                    self._api("POST")
                else:
                    self._page("POST")

        return Handler

    # --- helpers for tests that drive the API like the hosted page would --------------
    def pay(self, intent_id: str, card: str = "4242424242424242") -> dict:
        """What the guest does on the hosted page, without a browser."""
        with self._lock:
            self._confirm(
                self.intents[intent_id], CARDS[card], self.intents[intent_id].get("return_url", "")
            )
        return self.intents[intent_id]

    def complete_3ds(self, intent_id: str, *, success: bool = True) -> dict:
        request = urllib.request.Request(
            f"{self.url}/3ds/{intent_id}/{'complete' if success else 'fail'}",
            data=b"",
            method="POST",
        )

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(request, timeout=30)
        except urllib.error.HTTPError:
            pass  # the 303 to the return_url
        return self.intents[intent_id]
