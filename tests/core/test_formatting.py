"""Numbers a person reads are formatted: one helper (core.formatting), French 1 234,56 € and
English €1,234.56, and no staff page of the demo shows a raw Decimal in either language."""

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from core import formatting
from core.demo import DEMO_STAFF
from core.models import Property
from tests.factories.screens import terminal_cookie

D = Decimal


def test_money_numbers_rates_and_dates_in_both_languages():
    with translation.override("fr"):
        assert formatting.money(D("1234.56")) == "1\u202f234,56\u00a0€"
        assert formatting.money(D("-195.65")) == "-195,65\u00a0€"
        assert formatting.number(D("3.30000000000000")) == "3,30"
        assert formatting.rate(D("20.00")) == "20\u00a0%"
        assert formatting.rate(D("5.5")) == "5,5\u00a0%"
        assert formatting.day(date(2026, 12, 2)) == "02/12/2026"
    with translation.override("en"):
        assert formatting.money(D("1234.56")) == "€1,234.56"
        assert formatting.money(D("0")) == "€0.00"
        assert formatting.number(D("2.000"), 0) == "2"
        assert formatting.rate(D("10.00")) == "10%"
    assert formatting.money(None) == "—"
    assert formatting.money(D("271.5"), "EUR", language="fr") == "271,50\u00a0€"


def test_an_amount_shown_again_reads_as_the_first_time_in_each_language():
    """Amounts' texts are kept per currency and locale (core.formatting): the same amount on
    the next tap, in the other language, or written with other decimals, reads the same."""
    for _ in range(2):
        with translation.override("en"):
            assert formatting.money(D("23")) == formatting.money(D("23.00")) == "€23.00"
            assert formatting.money(D("12.5"), "GBP") == "£12.50"
        with translation.override("fr"):
            assert formatting.money(D("23.0")) == "23,00\u00a0€"
            assert formatting.money(D("1234.505")) == "1\u202f234,50\u00a0€"
            # equal Decimals written apart: a zero never borrows the sign of a negative zero
            assert formatting.money(D("-0.00")) == "-0,00\u00a0€"
            assert formatting.money(D("0")) == "0,00\u00a0€"


# what a raw Decimal or a badly formatted amount looks like on a page
RAW = [re.compile(r"\d+\.\d{3,}"), re.compile(r"\d,\d{5,}")]
WRONG = {  # \s also matches the no-break spaces the formatter writes
    "fr": [re.compile(r"\d+\.\d\d\s?(€|EUR)"), re.compile(r"€\s?\d")],
    # (a line a French desk posted stays in French on an English page: it is the document's
    # own text, so "1,65 €" is not looked for here)
    "en": [re.compile(r"\d\.\d\d\s?(€|EUR)")],
}
SKIP = ("/logout", "/admin", "/api/", ".pdf", "/export/", ".pem", "/download/", "/static/")


class _Page(HTMLParser):
    """The page's text (no scripts, styles or attributes) and its links."""

    def __init__(self):
        super().__init__()
        self.text, self.links, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _shape(url: str) -> str:
    # one or two pages of each kind are enough: /reservations/LT123/ ~ /reservations/LT456/
    parts = urlsplit(url)
    return re.sub(r"[A-Z0-9]{6,}|\d+|[0-9a-f-]{36}", "#", f"{parts.path}?{parts.query}")


def _money_day(hotel):
    """A day of the bar on the demo: a cash sale with change, a refunded sale, a drawer
    closed 4,50 € short, so receipts and Z reports are on the walk too."""
    from billing.services.payments import TenderInput
    from inventory.models import Product
    from pos.models import Terminal
    from pos.services.cash import cash_session_close, cash_session_open
    from pos.services.checkout import (
        SaleRequest,  # noqa: F401  (the sale's request type)
        order_checkout,
        order_refund,
    )
    from tests.pos.helpers import line

    terminal = Terminal.objects.filter(property=hotel, outlet__code="bar-piscine").first()
    manager = hotel.memberships.get(role="manager").user
    session = cash_session_open(terminal=terminal, actor=manager, opening_float=D("150.00"))
    spritz = Product.objects.get(property=hotel, code="spritz")
    order_checkout(
        property=hotel,
        terminal=terminal,
        actor=manager,
        lines=[line(spritz, "2")],
        tenders=[TenderInput(method="cash", amount=spritz.price * 2, tendered=D("50.00"))],
    )
    refunded = order_checkout(
        property=hotel,
        terminal=terminal,
        actor=manager,
        lines=[line(spritz, "1")],
        tenders=[TenderInput(method="cash", amount=spritz.price, tendered=D("20.00"))],
    )
    order_refund(order=refunded, actor=manager, reason="Erreur de saisie")
    expected = D("150.00") + spritz.price * 2
    cash_session_close(session=session, actor=manager, counted_cash=expected - D("4.50"))
    return terminal


@pytest.mark.django_db
def test_no_staff_page_of_the_demo_shows_a_raw_number():
    call_command("seed_demo")
    hotel = Property.objects.get(slug="les-pins")
    terminal = _money_day(hotel)
    from billing.models import Invoice
    from pms.models import Reservation
    from pos.models import Order

    today = hotel.business_date().isoformat()
    starts = [f"/pos/counter/receipt/{o.pk}/" for o in Order.objects.filter(property=hotel)]
    starts += [
        f"/billing/accounting/?start={today}&end={today}&documents={kind}"
        for kind in ("tickets", "invoices", "credit_notes")
    ]
    stays = Reservation.objects.filter(property=hotel)
    for stay in (
        stays.filter(status="in_house").first(),
        stays.filter(folio__invoices__kind=Invoice.Kind.INVOICE).first(),
        stays.filter(status="checked_out", company__isnull=True).first(),
    ):
        if stay is not None:
            starts.append(f"/frontdesk/reservations/{stay.reference}/")
    found: dict[str, list[str]] = {}
    for language in ("fr", "en"):
        for username, *_ in DEMO_STAFF:
            client = Client()
            client.force_login(hotel.memberships.get(user__username=username).user)
            client.cookies["django_language"] = language
            client.cookies["auberge_terminal"] = terminal_cookie(terminal)
            seen, shapes, queue = set(), {}, ["/", *starts]
            while queue and len(seen) < 80:
                path = queue.pop(0)
                if path in seen:
                    continue
                seen.add(path)
                response = client.get(path)
                assert response.status_code < 500, (username, path)
                if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                    continue
                page = _Page()
                page.feed(response.content.decode())
                text = " | ".join(t.strip() for t in page.text if t.strip())
                for pattern in RAW + WRONG[language]:
                    for match in pattern.finditer(text):
                        context = text[max(0, match.start() - 40) : match.end() + 10]
                        found.setdefault(f"{language} {path}", []).append(context.strip())
                for href in page.links:
                    url = urljoin(path, href)
                    parts = urlsplit(url)
                    if parts.netloc or not parts.path.startswith("/"):
                        continue
                    if any(s in url for s in SKIP) or url.split("#")[0] in seen:
                        continue
                    shape = _shape(url)
                    if shapes.get(shape, 0) >= 2:
                        continue
                    shapes[shape] = shapes.get(shape, 0) + 1
                    queue.append(url.split("#")[0])
    assert not found, found
