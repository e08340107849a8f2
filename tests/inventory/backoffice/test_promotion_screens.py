"""Promotions on screen: created, scheduled, paused, resumed and ended, with their remaining
stock; bad input refused with nothing saved; audited."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.models import AuditEntry, Role
from inventory.models import Promotion

pytestmark = pytest.mark.django_db


def _row(page: str, code: str) -> str:
    start = page.index(f'data-code="{code}"')
    return page[start : page.index("</tr>", start)]


def test_a_promotion_is_created_scheduled_paused_and_ended(
    client, catalog, hotel, manager, product
):
    client.force_login(manager)
    tomorrow = hotel.business_date() + timedelta(days=1)
    response = client.post(
        "/manage/promotions/",
        {
            "name_fr": "Massage d'automne",
            "name_en": "Autumn massage",
            "code": "massage-automne",
            "kind": "promotion",
            "amount_off": "10,00",
            "products": [product("massage-60").pk],
            "sale_from": tomorrow.isoformat(),
            "stock_cap": "20",
        },
        follow=True,
    )
    assert response.status_code == 200
    promo = Promotion.objects.get(property=hotel, code="massage-automne")
    assert promo.amount_off == Decimal("10.00") and list(promo.products.all()) == [
        product("massage-60")
    ]
    row = _row(response.content.decode(), "massage-automne")
    assert "Scheduled" in row and "20 left of 20" in row
    AuditEntry.objects.get(action="inventory.promotion.created", target_id=str(promo.pk))

    promo.sale_from = None
    promo.save()
    client.post(f"/manage/promotions/{promo.pk}/action/", {"action": "pause"})
    row = _row(client.get("/manage/promotions/").content.decode(), "massage-automne")
    assert "Paused" in row
    client.post(f"/manage/promotions/{promo.pk}/action/", {"action": "resume"})
    assert "Running" in _row(client.get("/manage/promotions/").content.decode(), "massage-automne")
    client.post(f"/manage/promotions/{promo.pk}/action/", {"action": "end"})
    promo.refresh_from_db()
    assert promo.sale_until == hotel.business_date() - timedelta(days=1)
    assert "Ended" in _row(client.get("/manage/promotions/").content.decode(), "massage-automne")
    actions = list(
        AuditEntry.objects.filter(target_id=str(promo.pk), action__startswith="inventory.promotion")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "inventory.promotion.created",
        "inventory.promotion.paused",
        "inventory.promotion.resumed",
        "inventory.promotion.ended",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"percent_off": "", "amount_off": ""}, "Give a percentage or an amount off."),
        ({"percent_off": "120"}, "A percentage off is between 0 and 100."),
        (
            {"sale_from": "2026-08-10", "sale_until": "2026-08-01"},
            "The sale window ends before it starts.",
        ),
        (
            {"stay_from": "2026-08-10", "stay_until": "2026-08-01"},
            "The stay window ends before it starts.",
        ),
    ],
)
def test_bad_promotions_are_refused(client, catalog, hotel, manager, change, message):
    client.force_login(manager)
    before = Promotion.objects.count()
    data = {"name_fr": "Mauvaise", "code": "mauvaise", "kind": "promotion", "percent_off": "10"}
    response = client.post("/manage/promotions/", {**data, **change})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Promotion.objects.count() == before


def test_a_stock_below_what_was_sold_is_refused(client, catalog, hotel, manager):
    client.force_login(manager)
    promo = Promotion.objects.get(property=hotel, code="petit-dej-web")
    Promotion.objects.filter(pk=promo.pk).update(stock_used=30)
    response = client.post(
        f"/manage/promotions/{promo.pk}/",
        {
            "name_fr": promo.name_fr,
            "code": promo.code,
            "kind": "promotion",
            "percent_off": "50",
            "stock_cap": "10",
        },
    )
    assert response.status_code == 422
    assert "already sold (30)" in response.content.decode()
    promo.refresh_from_db()
    assert promo.stock_cap == 500


def test_another_propertys_promotion_is_not_found(client, catalog, hotel, other_hotel, staff_of):
    promo = Promotion.objects.get(property=hotel, code="petit-dej-web")
    client.force_login(staff_of(other_hotel, Role.MANAGER, username="m2"))
    assert client.get(f"/manage/promotions/{promo.pk}/").status_code == 404
    assert (
        client.post(f"/manage/promotions/{promo.pk}/action/", {"action": "pause"}).status_code
        == 404
    )
    promo.refresh_from_db()
    assert promo.is_active
    client.force_login(staff_of(hotel, Role.CASHIER, username="c1"))
    assert client.get("/manage/promotions/").status_code == 403
