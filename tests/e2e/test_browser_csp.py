"""Under the Content-Security-Policy, in real headless Chromium: the behaviours that moved from
inline attributes to static/js/auberge.js still work, and the Django admin and the Swagger UI
work under their policies. The shared `open_as` fixture fails a test on any CSP violation."""

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from core.models import Membership, Role
from tests.e2e import test_browser as shared

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
viewport = shared.viewport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-2026")


def test_the_property_switcher_switches_on_choice(open_as, live_server, hotel, other_hotel,
                                                  manager):  # fmt: skip
    # given a manager of two properties (the select used an inline onchange before)
    Membership.objects.create(user=manager, property=other_hotel, role=Role.MANAGER)
    page = open_as(manager)
    page.goto(f"{live_server.url}/")
    current = page.inner_text("[data-testid=active-property]")
    target = other_hotel if current == hotel.name else hotel
    assert current in (hotel.name, other_hotel.name) and current != target.name
    # when they choose the other one, with no button to press
    page.select_option("#property-switch", str(target.pk))
    # then the page comes back on it
    expect(page.locator("[data-testid=active-property]")).to_have_text(target.name)


def test_the_barcode_field_is_emptied_and_focused_after_each_scan(
    open_as, live_server, catalog, terminal, cashier, product
):
    page = open_as(cashier, terminal)
    page.goto(f"{live_server.url}/pos/counter/")
    for _ in range(2):
        page.fill("[data-testid=barcode]", product("cafe").ean13)
        page.press("[data-testid=barcode]", "Enter")
        expect(page.locator("[data-testid=barcode]")).to_have_value("")
    expect(page.locator("[data-testid=barcode]")).to_be_focused()
    expect(page.locator("[data-testid=total]")).to_have_text("€5.00")


def test_the_admin_edits_a_property_under_the_policy(open_as, live_server, hotel, superuser):
    page = open_as(superuser)
    page.goto(f"{live_server.url}/admin/")
    # the admin asks an administrator for a second factor first: enrol, under the policy too
    expect(page.locator("[data-testid=otp-secret]")).to_be_visible()
    assert page.locator("svg").count() >= 1  # the QR code, inline SVG (no script)
    device = TOTPDevice.objects.get(user=superuser, confirmed=False)
    page.fill("#token", f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}")
    page.locator("#token").press("Enter")
    expect(page.locator("li code").first).to_be_visible()  # the backup codes, shown once
    page.goto(f"{live_server.url}/admin/")
    page.click("a[href$='/admin/core/property/']")
    page.click(f"text={hotel.name}")
    page.fill("#id_booking_frame_ancestors", "https://www.hotel-les-tests.fr")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    hotel.refresh_from_db()
    assert hotel.booking_embed_origins() == ["https://www.hotel-les-tests.fr"]


def test_the_swagger_ui_renders_the_api_under_the_policy(open_as, live_server, hotel, superuser):
    page = open_as(superuser)
    page.goto(f"{live_server.url}/api/docs/")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible(timeout=20000)
    assert operations.count() > 10
    operations.first.locator(".opblock-summary").click()
    expect(page.locator(".opblock-body").first).to_be_visible()
