"""Room-type photos in real headless Chromium at 768×1024: the manager adds a photo on the
room type's screen (a text file named .jpg first: refused in French), describes it, and the
booking engine's offer shows it, lazy-loaded, with its text. Nothing scrolls sideways.
The live server does not serve MEDIA_URL (production leaves it to the web server): the
browser's requests for /media/ are answered from the photos storage."""

import io
from datetime import timedelta

import pytest
from PIL import Image

from core.images import photo_storage
from core.models import Role
from pms.models import RoomTypePhoto
from tests.e2e import test_browser as shared
from tests.factories.core import make_staff

_async_unsafe = shared._async_unsafe
browser = shared.browser
open_as = shared.open_as
screenshot = shared.screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_PAGE_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture
def viewport():
    return (768, 1024)


def serve_media(page) -> None:
    """Answer /media/… from the photos storage, as the web server in front does."""
    storage = photo_storage()

    def fulfil(route):
        name = route.request.url.split("/media/", 1)[1]
        if not storage.exists(name):
            return route.fulfill(status=404, body="")
        with storage.open(name) as f:
            route.fulfill(status=200, body=f.read(), content_type="image/webp")

    page.route("**/media/**", fulfil)


def test_a_room_type_photo_added_by_the_manager_shows_in_the_booking_engine(
    open_as, live_server, viewport, hotel, rooms, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "photos"
    boss = make_staff(hotel, Role.MANAGER, username="boss-photos", pin="666666")
    classique = rooms["classique"]
    page = open_as(boss)
    serve_media(page)
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])

    not_a_photo = tmp_path / "chambre.jpg"
    not_a_photo.write_text("ceci n'est pas une photo")
    photo = tmp_path / "lac.jpg"
    Image.new("RGB", (1800, 1200), (40, 110, 170)).save(photo, format="JPEG")

    page.goto(f"{live_server.url}/manage/rooms/types/{classique.pk}/")
    page.wait_for_selector("[data-testid=no-photo]")
    page.set_input_files("#new-photo", str(not_a_photo))
    page.fill("#new-fr", "Chambre avec vue sur le lac")
    page.click("[data-testid=photo-add]")
    error = page.wait_for_selector("[data-testid=photo-error]")
    assert "n’est pas une photo JPEG, PNG ou WebP" in error.inner_text()
    assert page.input_value("#new-fr") == "Chambre avec vue sur le lac"  # kept for the retry
    assert not RoomTypePhoto.objects.exists()

    page.set_input_files("#new-photo", str(photo))
    page.fill("#new-en", "Room with a lake view")
    page.click("[data-testid=photo-add]")
    page.wait_for_selector("[data-testid=photo-1] img")
    assert page.evaluate(NO_PAGE_SCROLL)
    # decode() waits for the thumbnail to arrive (the <img> is in the page before its bytes)
    thumbnail = page.locator("[data-testid=photo-1] img")
    assert thumbnail.evaluate("i => i.decode().then(() => i.naturalWidth)") == 480
    screenshot(page, "backoffice-room-type-photos", viewport)

    day = hotel.business_date() + timedelta(days=5)
    page.goto(
        f"{live_server.url}/book/{hotel.slug}/?arrival={day.isoformat()}"
        f"&departure={(day + timedelta(days=2)).isoformat()}&adults=2&children=0&lang=en"
    )
    image = page.locator("[data-testid=offer-classique] [data-testid=offer-photos] img")
    assert image.get_attribute("alt") == "Room with a lake view"
    assert image.get_attribute("loading") == "lazy"
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=offer-photos] img').naturalWidth > 0"
    )
    assert page.evaluate(NO_PAGE_SCROLL)
    screenshot(page, "booking-engine-offer-photos", viewport)
    buf = io.BytesIO(page.screenshot())
    assert Image.open(buf).size[0] == 768
