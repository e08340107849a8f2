"""The booking engine embedded in the hotel's own website, in real headless Chromium: the
website is another *site* (http://127.0.0.1:<port>, the engine is the live server on
http://localhost:<port>), so the browser sends the engine none of its SameSite=Lax cookies.
Before the engine's POSTs stopped depending on the CSRF cookie, the first POST ("Continue to
payment") answered Django's 403 "CSRF cookie not set" inside the frame."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from pms.models import Reservation
from tests.browser import assert_no_csp_violation, chromium_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Website:
    """The hotel's website: one page that frames `frame_url`, served on 127.0.0.1 only."""

    def __init__(self):
        self.frame_url = ""
        website = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = (
                    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Hôtel</title></head>"
                    "<body><h1>Hôtel Les Tests</h1>"
                    f"<iframe id='engine' src='{website.frame_url}' title='Réserver'"
                    " width='1000' height='1400'></iframe></body></html>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def website():
    site = _Website()
    yield site
    site.close()


@pytest.fixture
def chromium(monkeypatch):
    """A browser context whose CSP violations are recorded (the test checks them itself)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_page((1100, 1500)) as (page, violations):
        yield page, violations


def _engine_url(live_server, hotel) -> str:
    assert urlsplit(live_server.url).hostname == "localhost"  # another site than 127.0.0.1
    return f"{live_server.url}/book/{hotel.slug}/?lang=en"


def test_a_guest_books_in_the_engine_framed_by_the_hotel_website(
    live_server, hotel, rooms, day, website, chromium
):
    # given the hotel lists its website as allowed to frame the engine
    hotel.booking_frame_ancestors = website.origin
    hotel.save(update_fields=["booking_frame_ancestors"])
    page, violations = chromium
    website.frame_url = _engine_url(live_server, hotel)
    page.goto(website.origin + "/")
    engine = page.frame_locator("#engine")

    # when the guest searches, chooses, gives their details and confirms, inside the frame
    engine.locator("input[name=arrival]").fill(day(4).isoformat())
    engine.locator("input[name=departure]").fill(day(6).isoformat())
    engine.locator("[data-testid=search-form] button[type=submit]").click()
    engine.locator("[data-testid=choose-classique]").click()
    engine.locator("input[name=first_name]").fill("Léa")
    engine.locator("input[name=last_name]").fill("Dupont")
    engine.locator("input[name=email]").fill("lea.dupont@exemple.fr")
    engine.locator("input[name=accept]").check()
    engine.locator("[data-testid=hold]").click()
    engine.locator("input[value=bank_transfer]").check()
    engine.locator("[data-testid=confirm]").click()

    # then the frame shows the confirmation with the payment instructions, and the booking
    # is in the database; the engine's policy saw no violation
    engine.locator("[data-testid=confirmation]").wait_for()
    reservation = Reservation.objects.get(channel="booking_engine")
    assert reservation.status == "confirmed"
    assert engine.locator("[data-testid=reference]").inner_text() == reservation.reference
    assert reservation.reference in engine.locator("[data-testid=instructions]").inner_text()
    assert page.url == website.origin + "/"  # the guest never left the hotel's website
    assert_no_csp_violation(violations)


def test_a_website_the_property_did_not_list_cannot_frame_the_engine(
    live_server, hotel, rooms, website, chromium
):
    # given no website is listed (the default: only the engine's own pages may frame it)
    page, violations = chromium
    website.frame_url = _engine_url(live_server, hotel)
    # when another website frames it
    page.goto(website.origin + "/")
    page.wait_for_timeout(1000)
    # then Chromium refuses the frame under the engine's frame-ancestors
    engine = page.frame_locator("#engine")
    assert engine.locator("[data-testid=search-form]").count() == 0
    assert any("frame-ancestors" in v for v in violations), violations


def test_a_listed_website_still_cannot_frame_a_staff_screen(
    live_server, hotel, rooms, website, chromium
):
    hotel.booking_frame_ancestors = website.origin
    hotel.save(update_fields=["booking_frame_ancestors"])
    page, violations = chromium
    website.frame_url = f"{live_server.url}/login/"
    page.goto(website.origin + "/")
    page.wait_for_timeout(1000)
    assert page.frame_locator("#engine").locator("input[name=password]").count() == 0
    assert any("frame-ancestors 'none'" in v for v in violations), violations
