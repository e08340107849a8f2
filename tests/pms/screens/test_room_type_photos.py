"""Room-type photos for the booking engine (PMS-1), and a dish's photo on the guest's QR menu:
uploaded on the manager's screens, checked by Pillow (not by the name), cleaned of their
metadata, resized; shown by the booking engine; another property's photo is a 404."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.images import photo_storage
from core.models import AuditEntry, Role
from pms.models import RoomTypePhoto
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "photos"
    return settings.MEDIA_ROOT


@pytest.fixture
def boss(client, hotel, rooms):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def picture(name="chambre.jpg", fmt="JPEG", size=(2400, 1600), exif=True) -> SimpleUploadedFile:
    """A photo as a phone sends it: large, with its maker and orientation in the EXIF."""
    image = Image.new("RGB", size, (180, 120, 60))
    out = io.BytesIO()
    extra = {}
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "PhoneMaker"  # Make
        tags[0x0112] = 6  # Orientation: turned a quarter
        extra["exif"] = tags
    image.save(out, format=fmt, **extra)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def add(client, room_type, upload, alt_fr="La chambre classique", alt_en="The classic room", **kw):
    return client.post(
        reverse("rooms:photo_new", args=[room_type.pk]),
        {"photo": upload, "alt_fr": alt_fr, "alt_en": alt_en},
        **kw,
    )


def test_a_photo_is_cleaned_resized_and_shown_by_the_booking_engine(client, boss, hotel, room_type):
    classique = room_type("classique")
    response = add(client, classique, picture())
    assert response.status_code == 302
    photo = RoomTypePhoto.objects.get(room_type=classique)
    storage = photo_storage()
    with storage.open(photo.image.name) as f:
        large = Image.open(f)
        large.load()
    with storage.open(photo.small.name) as f:
        small = Image.open(f)
        small.load()
    assert large.format == small.format == "WEBP"
    assert not large.getexif() and "exif" not in large.info  # no maker, no position
    # turned upright (the EXIF said a quarter turn), then at most 1600 and 480 px
    assert large.size == (1067, 1600) and max(small.size) == 480
    assert str(hotel.pk) in photo.image.name and not photo.image.name.startswith("chambre")
    assert AuditEntry.objects.filter(action="pms.room_type_photo.added").exists()

    day = hotel.business_date() + timedelta(days=3)
    page = client.get(
        f"/book/{hotel.slug}/",
        {"arrival": day, "departure": day + timedelta(days=1), "adults": 2, "lang": "en"},
    )
    html = page.content.decode()
    assert photo.small.url in html
    assert 'alt="The classic room"' in html and 'loading="lazy"' in html
    page = client.get(
        f"/book/{hotel.slug}/",
        {"arrival": day, "departure": day + timedelta(days=1), "adults": 2, "lang": "fr"},
    )
    assert 'alt="La chambre classique"' in page.content.decode()


def test_the_booking_engine_reads_photos_in_a_fixed_number_of_queries(
    client, boss, hotel, room_type, django_assert_max_num_queries
):
    for code in ("classique", "superieure"):
        add(client, room_type(code), picture(size=(300, 200), exif=False))
        add(client, room_type(code), picture(size=(300, 200), exif=False))
    day = hotel.business_date() + timedelta(days=3)
    params = {"arrival": day, "departure": day + timedelta(days=1), "adults": 2}
    client.get(f"/book/{hotel.slug}/", params)  # warm the caches
    with django_assert_max_num_queries(25) as ctx:
        client.get(f"/book/{hotel.slug}/", params)
    assert sum("pms_roomtypephoto" in q["sql"] for q in ctx.captured_queries) == 1


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            SimpleUploadedFile("photo.jpg", b"ceci n'est pas une photo", content_type="image/jpeg"),
            "Ce fichier n’est pas une photo JPEG, PNG ou WebP.",
        ),
        (picture("anim.gif", fmt="GIF", size=(40, 40), exif=False), "pas une photo JPEG"),
    ],
    ids=["text-named-jpg", "gif"],
)
def test_a_file_that_is_not_a_photo_is_refused_in_french_and_nothing_saved(
    client, boss, room_type, media, upload, message
):
    client.cookies["django_language"] = "fr"
    response = add(client, room_type("classique"), upload)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not RoomTypePhoto.objects.exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_photo_too_large_or_undescribed_is_refused(client, boss, room_type, settings, media):
    settings.PHOTO_MAX_BYTES = 1000
    client.cookies["django_language"] = "fr"
    response = add(client, room_type("classique"), picture())
    assert response.status_code == 422
    assert "trop lourde" in response.content.decode()
    settings.PHOTO_MAX_BYTES = 8 * 1024 * 1024
    client.cookies["django_language"] = "en"
    response = add(client, room_type("classique"), picture(), alt_fr=" ")
    assert response.status_code == 422
    assert "Describe the photo in French" in response.content.decode()
    assert not RoomTypePhoto.objects.exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_photos_are_described_reordered_and_deleted(
    client, boss, room_type, django_capture_on_commit_callbacks
):
    classique = room_type("classique")
    for alt in ("Lit", "Salle de bain", "Vue"):
        add(client, classique, picture(size=(300, 200), exif=False), alt_fr=alt, alt_en="")
    first, second, third = RoomTypePhoto.objects.filter(room_type=classique)
    edit = reverse("rooms:photo_edit", args=[third.pk])
    client.post(edit, {"action": "up", "alt_fr": "Vue sur le lac", "alt_en": "Lake view"})
    order = list(RoomTypePhoto.objects.filter(room_type=classique).values_list("alt_fr", flat=True))
    assert order == ["Lit", "Vue sur le lac", "Salle de bain"]
    page = client.get(reverse("rooms:type_edit", args=[classique.pk])).content.decode()
    assert page.index("Vue sur le lac") < page.index("Salle de bain")

    storage = photo_storage()
    names = (first.image.name, first.small.name)
    assert all(storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):  # the files go after the commit
        response = client.post(reverse("rooms:photo_edit", args=[first.pk]), {"action": "delete"})
    assert response.status_code == 302
    assert not RoomTypePhoto.objects.filter(pk=first.pk).exists()
    assert not any(storage.exists(n) for n in names)
    assert AuditEntry.objects.filter(action="pms.room_type_photo.deleted").exists()


def test_another_propertys_photo_is_a_404(client, hotel, other_hotel, rooms, room_type):
    boss = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(boss)
    add(client, room_type("classique"), picture(size=(300, 200), exif=False))
    photo = RoomTypePhoto.objects.get()
    intruder = make_staff(other_hotel, Role.MANAGER, username="gite-boss", pin="777777")
    client.force_login(intruder)
    edit = reverse("rooms:photo_edit", args=[photo.pk])
    assert client.post(edit, {"action": "delete"}).status_code == 404
    assert client.post(edit, {"alt_fr": "volée"}).status_code == 404
    assert add(client, photo.room_type, picture(size=(30, 20))).status_code == 404
    photo.refresh_from_db()
    assert photo.alt_fr == "La chambre classique"


def test_a_dish_photo_shows_on_the_guest_menu_and_can_be_removed(
    client, boss, hotel, product, django_capture_on_commit_callbacks
):
    from inventory.models import Product

    dish = product("croque")
    url = reverse("catalogue:product_photo", args=[dish.pk])
    client.cookies["django_language"] = "fr"
    response = client.post(url, {"photo": SimpleUploadedFile("x.jpg", b"not a photo")}, follow=True)
    assert "pas une photo JPEG" in response.content.decode()
    client.cookies["django_language"] = "en"
    dish.refresh_from_db()
    assert not dish.photo
    client.post(url, {"photo": picture("croque.png", fmt="PNG", size=(900, 600), exif=False)})
    dish.refresh_from_db()
    assert dish.photo and dish.photo_small.name.endswith("-small.webp")
    html = client.get(reverse("catalogue:product", args=[dish.pk])).content.decode()
    assert dish.photo_small.url in html

    from django.template.loader import render_to_string

    menu = render_to_string(
        "pos/guest/_dishes.html",
        {"sections": [{"category": dish.category, "dishes": [{"product": dish}]}]},
    )
    assert dish.photo_small.url in menu and 'loading="lazy"' in menu
    old = dish.photo_small.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "remove"})
    dish = Product.objects.get(pk=dish.pk)
    assert not dish.photo and not photo_storage().exists(old)


def test_a_double_tap_on_add_adds_the_photo_once(client, boss, room_type, media):
    classique = room_type("classique")
    page = client.get(reverse("rooms:type_edit", args=[classique.pk])).content.decode()
    key = page.split('name="key" value="', 1)[1].split('"', 1)[0]
    assert len(key) == 32
    url = reverse("rooms:photo_new", args=[classique.pk])
    form = {"alt_fr": "La chambre classique", "key": key}
    first = client.post(url, {**form, "photo": picture()})
    second = client.post(url, {**form, "photo": picture()})
    assert first.status_code == second.status_code == 302
    assert RoomTypePhoto.objects.filter(room_type=classique).count() == 1
    assert AuditEntry.objects.filter(action="pms.room_type_photo.added").count() == 1
    # the second tap's upload left no file behind: only the kept photo's two sizes
    assert len([p for p in media.rglob("*") if p.is_file()]) == 2
    # a new form (a new key) adds another photo
    client.post(url, {**form, "key": "b" * 32, "photo": picture()})
    assert RoomTypePhoto.objects.filter(room_type=classique).count() == 2
