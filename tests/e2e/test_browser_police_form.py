"""The police form on the lobby tablet (768×1024) in real Chromium: pre-filled from the
booking, the guest signs with a finger on the canvas (static/js/signature.js), the signed form
prints as a PDF. Without a signature the form is refused and nothing is saved."""

import pytest

from pms.models import PoliceForm
from tests.e2e import test_browser as shared

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
screenshot = shared.screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[(768, 1024)], ids=lambda v: f"{v[0]}x{v[1]}")
def viewport(request):
    return request.param


def test_guest_signs_the_police_form_on_the_tablet(open_as, live_server, viewport, hotel, book,
                                                   clerk):  # fmt: skip
    res = book("classique", last_name="Schmidt")
    res.guest.country = "DE"
    res.guest.save()
    page = open_as(clerk)
    page.goto(f"{live_server.url}/frontdesk/reservations/{res.reference}/")
    page.click("[data-testid=police-form-link] a")
    page.wait_for_selector("[data-testid=police-form]")
    assert page.input_value("#last_name") == "Schmidt"
    assert page.input_value("#nationality") == "DE"
    page.fill("#birth_date", "1988-04-12")
    page.fill("#birth_place", "München")
    page.fill("#address", "Leopoldstraße 1, 80802 München")
    # when: submitted without a signature
    page.click("[data-testid=police-submit]")
    page.wait_for_selector("[data-testid=error] >> text=The guest must sign the form.")
    assert not PoliceForm.objects.exists()
    # when: the guest signs with a finger
    assert page.input_value("#address") == "Leopoldstraße 1, 80802 München"  # kept
    pad = page.locator("[data-testid=signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 40 + (step % 3) * 30)
    page.mouse.up()
    screenshot(page, "police-form-signed", viewport)
    page.click("[data-testid=police-submit]")
    # then
    page.wait_for_selector("[data-testid=police-forms] >> text=Print (PDF)")
    form = PoliceForm.objects.get()
    assert form.signature.startswith("data:image/png;base64,") and len(form.signature) > 500
    assert form.birth_place == "München"
    response = page.request.get(f"{live_server.url}/frontdesk/police-forms/{form.pk}.pdf")
    assert response.headers["content-type"] == "application/pdf"
    assert response.body()[:5] == b"%PDF-"
