"""The stock screens: levels with their value, a write-off, a blind count sheet that shows
nothing expected until it is submitted, the manager's approval; another property's count is
not found; bad input changes nothing."""

from decimal import Decimal

from django.db import transaction

from core.models import Role
from inventory.models import StockCount, StockLevel, StockMovement
from inventory.services.stock import Move, stock_apply
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal
from tests.factories.stock import make_bar_stock


def _stock(hotel):
    stock = make_bar_stock(hotel, make_terminal(hotel))
    with transaction.atomic():
        stock_apply(
            property=hotel,
            moves=[Move(stock["items"]["rhum"].pk, stock["bar"].pk, Decimal("1400"), "receipt")],
            reference="test",
        )
    return stock


def test_levels_write_off_and_a_blind_count_approved(client, hotel, manager):
    stock = _stock(hotel)
    rum, bar = stock["items"]["rhum"], stock["bar"]
    client.force_login(manager)
    page = client.get("/manage/stock/")
    assert page.status_code == 200
    assert "Rhum blanc" in page.content.decode() and "€28.00" in page.content.decode()
    refused = client.post(
        "/manage/stock/move/",
        {"action": "waste", "item": rum.pk, "location": bar.pk, "quantity": "abc"},
        follow=True,
    )
    assert "Enter a quantity." in refused.content.decode()
    client.post(
        "/manage/stock/move/",
        {
            "action": "waste",
            "item": rum.pk,
            "location": bar.pk,
            "quantity": "700",
            "reason": "breakage",
        },
    )
    assert StockLevel.objects.get(item=rum, location=bar).quantity == Decimal("700")

    started = client.post("/manage/stock/counts/", {"location": bar.pk})
    count = StockCount.objects.get()
    assert started.url == f"/manage/stock/counts/{count.pk}/"
    sheet = client.get(started.url).content.decode()
    assert "Rhum blanc" in sheet and "700" not in sheet  # blind: nothing expected shown
    bad = client.post(started.url, {f"item_{rum.pk}": "-3"})
    assert bad.status_code == 422
    client.post(started.url, {f"item_{rum.pk}": "650"})
    review = client.get(started.url).content.decode()
    assert "−€1.00" in review or "-€1.00" in review  # 50 ml × 0.02
    client.post(f"/manage/stock/counts/{count.pk}/approve/")
    assert StockLevel.objects.get(item=rum, location=bar).quantity == Decimal("650")
    assert StockMovement.objects.filter(kind="count").get().quantity == Decimal("-50")


def test_a_bartender_counts_but_does_not_approve(client, hotel, other_hotel):
    stock = _stock(hotel)
    bartender = make_staff(hotel, Role.BARTENDER, username="barman")
    client.force_login(bartender)
    client.post("/manage/stock/counts/", {"location": stock["bar"].pk})
    count = StockCount.objects.get()
    client.post(f"/manage/stock/counts/{count.pk}/", {f"item_{stock['items']['rhum'].pk}": "1"})
    assert client.post(f"/manage/stock/counts/{count.pk}/approve/").status_code == 403
    assert not StockMovement.objects.filter(kind="count").exists()
    elsewhere = StockCount.objects.create(property=other_hotel, location=_other(other_hotel))
    assert client.get(f"/manage/stock/counts/{elsewhere.pk}/").status_code == 404


def _other(prop):
    from inventory.models import StockLocation

    return StockLocation.objects.create(property=prop, code="bar", name="Bar", kind="bar")
