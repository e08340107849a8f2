"""Card terminals: the till-side interface and the Caisse-AP over IP driver.

Caisse-AP (formerly "Concert", Association du Paiement) is what Ingenico, Verifone and PAX
terminals speak with French tills. Over IP the till opens a TCP connection to the terminal
and sends one ASCII message; the terminal answers one message when the cardholder is done
(seconds to minutes). A message is a run of fields TAG (2 characters) + LEN (3 digits) +
VALUE, `CZ` (the protocol version) first (docs/card-terminals.md, REFERENCE §11).

Only the masked card number and the authorisation ever leave this module: a full card
number in an answer is masked before it is returned."""

import re
import socket
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

VERSION = "0300"
EUR = "978"
SETTLE_SECONDS = 0.2  # an answer ends when no byte follows for this long
# ISO 4217 numeric codes of the currencies a property may use
CURRENCIES = {"EUR": "978", "CHF": "756", "GBP": "826", "USD": "840"}
_TAG = re.compile(r"[A-Z0-9]{2}")


class FrameError(ValueError):
    """Bytes that are not a Caisse-AP message."""


def encode(fields: list[tuple[str, str]]) -> bytes:
    """TAG + LEN(3) + VALUE for each field, in the order given (CZ must come first)."""
    out = []
    for tag, value in fields:
        if not _TAG.fullmatch(tag) or not 1 <= len(value) <= 999 or not value.isascii():
            raise FrameError(f"bad field {tag!r}")
        out.append(f"{tag}{len(value):03d}{value}")
    return "".join(out).encode("ascii")


def decode(data: bytes, *, partial: bool = False) -> dict[str, str] | None:
    """The fields of a message. With `partial`, None when the bytes end inside a field (more
    are coming). Raises FrameError on anything else that is not a message."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise FrameError("not ASCII")
    fields: dict[str, str] = {}
    i = 0
    while i < len(text):
        head = text[i : i + 5]
        if len(head) < 5:
            if partial:
                return None
            raise FrameError("truncated field header")
        tag, length = head[:2], head[2:]
        if not _TAG.fullmatch(tag) or not length.isdigit() or int(length) == 0:
            raise FrameError(f"bad field header {head!r}")
        end = i + 5 + int(length)
        if end > len(text):
            if partial:
                return None
            raise FrameError("truncated field value")
        fields[tag] = text[i + 5 : end]
        i = end
    if not fields:
        if partial:
            return None
        raise FrameError("empty message")
    if next(iter(fields)) != "CZ":
        raise FrameError("CZ must come first")
    return fields


def mask_pan(value: str) -> str:
    """Never more than the last four digits of a card number, whatever the terminal sent
    (terminals mask already, with X or *: the length is kept, everything else starred)."""
    chars = "".join(c for c in value if c.isalnum() or c == "*")[:19]
    if len(chars) <= 4:
        return "*" * len(chars)
    return "*" * (len(chars) - 4) + "".join(c if c.isdigit() else "*" for c in chars[-4:])


@dataclass(frozen=True)
class CardResult:
    """What the terminal said. `status`: approved, declined (refused or forbidden),
    abandoned, error (a bad request, the terminal's own time-out: nothing was charged),
    unreachable (nothing was sent), unknown (sent and no answer: the card may have been
    charged — reconcile, never charge again blindly)."""

    status: str
    failure_code: str = ""
    authorisation: str = ""
    masked_pan: str = ""
    card_type: str = ""
    message: str = ""

    @property
    def approved(self) -> bool:
        return self.status == "approved"


FAILURES = {
    "04": "declined",  # refused
    "05": "declined",  # forbidden
    "08": "error",  # the terminal's own time-out: the cardholder did nothing
    "09": "error",  # bad request
    "11": "abandoned",
}


def result_of(fields: dict[str, str]) -> CardResult:
    status = fields.get("AE", "")
    if status == "10":
        return CardResult(
            status="approved",
            authorisation=fields.get("AC", "")[:20],
            masked_pan=mask_pan(fields.get("AA", "")),
            card_type=fields.get("CC", "")[:3],
        )
    if status == "01":
        code = fields.get("AF", "")
        return CardResult(status=FAILURES.get(code, "declined"), failure_code=code[:2])
    return CardResult(status="error", failure_code=status[:2], message="unexpected answer")


class CardTerminal(Protocol):
    """The terminal-integration interface: send an amount, get the outcome."""

    def transact(self, *, amount: Decimal, currency: str, refund: bool = False) -> CardResult: ...


class CaisseApIp:
    """Caisse-AP over IP: one TCP connection per transaction, driven by the server (or by a
    relay on the shop's LAN that forwards the port: docs/card-terminals.md)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        till_number: str = "01",
        protocol_id: str = "000000000001",
        timeout: float = 180.0,
        connect_timeout: float = 5.0,
    ):
        self.host, self.port = host, port
        self.till_number = till_number.zfill(2)[-2:]
        self.protocol_id = protocol_id.zfill(12)[-12:]
        self.timeout, self.connect_timeout = timeout, connect_timeout

    def request(self, *, amount: Decimal, currency: str, refund: bool = False) -> bytes:
        cents = int((amount * 100).to_integral_value())
        if cents <= 0 or len(str(cents)) > 12:
            raise FrameError("amount out of range")
        return encode(
            [
                ("CZ", VERSION),
                ("CJ", self.protocol_id),
                ("CA", self.till_number),
                ("CB", str(cents)),
                ("CD", "1" if refund else "0"),
                ("CE", CURRENCIES.get(currency, currency)),
                ("BA", "0"),  # answer at the end of the transaction
            ]
        )

    def transact(self, *, amount: Decimal, currency: str, refund: bool = False) -> CardResult:
        try:
            message = self.request(amount=amount, currency=currency, refund=refund)
        except FrameError:
            return CardResult(status="error", failure_code="09", message="bad amount")
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as exc:
            return CardResult(status="unreachable", message=type(exc).__name__)
        with sock:
            try:
                sock.sendall(message)
            except OSError as exc:
                # maybe partly sent: the terminal may have started; say so
                return CardResult(status="unknown", message=type(exc).__name__)
            return self._answer(sock)

    def _answer(self, sock: socket.socket) -> CardResult:
        deadline = time.monotonic() + self.timeout
        buffer = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return CardResult(status="unknown", message="no answer in time")
            sock.settimeout(left)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                return CardResult(status="unknown", message="no answer in time")
            except OSError as exc:
                return CardResult(status="unknown", message=type(exc).__name__)
            if not chunk:
                if buffer:
                    try:
                        return result_of(decode(buffer))
                    except FrameError:
                        pass
                return CardResult(status="unknown", message="connection closed")
            buffer += chunk
            try:
                fields = decode(buffer, partial=True)
            except FrameError:
                return CardResult(status="unknown", message="unreadable answer")
            if fields is None or "AE" not in fields:
                continue
            if fields["AE"] == "11":  # taken into account: the outcome follows
                buffer = b""
                continue
            # the answer may come in several segments: take what follows at once
            sock.settimeout(SETTLE_SECONDS)
            try:
                more = sock.recv(4096)
            except OSError:
                more = b""
            if more:
                buffer += more
                continue
            return result_of(fields)
