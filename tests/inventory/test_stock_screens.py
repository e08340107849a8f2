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


def test_reorder_suggestion_becomes_a_draft_order_sent_and_received_on_screen(
    client, hotel, manager, celery_eager, mailoutbox, django_capture_on_commit_callbacks
):
    from inventory.models import PurchaseOrder

    stock = _stock(hotel)
    rum, bar = stock["items"]["rhum"], stock["bar"]
    StockLevel.objects.filter(item=rum, location=bar).update(
        reorder_point=Decimal("1400"), par_level=Decimal("2800")
    )
    client.force_login(manager)
    page = client.get("/manage/stock/").content.decode()
    assert "Cave du Port" in page and 'data-testid="orders-suggest"' in page
    client.post("/manage/stock/orders/suggest/")
    order = PurchaseOrder.objects.get()
    (line,) = order.lines.all()
    assert (line.packs, order.status) == (Decimal("2"), "draft")  # 1400 ml short: 2 bottles
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/manage/stock/orders/{order.pk}/", {"action": "send"})
    assert len(mailoutbox) == 1
    client.post(f"/manage/stock/orders/{order.pk}/", {"action": "receive", f"line_{line.pk}": "x"})
    assert StockLevel.objects.get(item=rum, location=bar).quantity == Decimal("1400")
    client.post(
        f"/manage/stock/orders/{order.pk}/",
        {"action": "receive", f"line_{line.pk}": "2", "delivery_note": "BL-1"},
    )
    order.refresh_from_db()
    assert order.status == "received"
    assert StockLevel.objects.get(item=rum, location=bar).quantity == Decimal("2800")


def test_margins_screen_in_french(client, hotel, manager):
    from pos.services.checkout import order_checkout
    from tests.pos.helpers import cash, line

    stock = make_bar_stock(hotel, terminal := make_terminal(hotel))
    with transaction.atomic():
        stock_apply(
            property=hotel,
            moves=[
                Move(item.pk, stock["bar"].pk, Decimal("10000"), "receipt")
                for item in stock["items"].values()
            ],
        )
    lines = [line(stock["mojito"], "3")]
    order_checkout(
        property=hotel, terminal=terminal, actor=manager, lines=lines, tenders=cash(hotel, lines)
    )
    client.force_login(manager)
    client.cookies["django_language"] = "fr"
    today = hotel.business_date().isoformat()
    page = client.get(f"/reporting/stock/?period=custom&start={today}&end={today}")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Marges et consommation" in body
    assert "Mojito" in body and "30,00" in body  # 3 × 10.00 net
    assert "4,68" in body and "25,32" in body  # 3 × 1.56 theoretical cost; the margin
