"""The count of the whole hotel: a batch of blind sheets (every location or a chosen set),
refused until every location is counted, posted in one transaction into count adjustments,
the variance report valued at cost, never posted twice; the screens scoped and in constant
queries."""

from decimal import Decimal

import pytest

from core.exceptions import InvalidInput
from core.models import Role
from inventory.models import StockCount, StockCountBatch, StockLevel, StockMovement
from inventory.services.count_batches import (
    count_batch_post,
    count_batch_report,
    count_batch_start,
)
from inventory.services.stock import count_submit, ledger_balances
from tests.factories.core import make_staff
from tests.factories.stock import make_stock_to_count


@pytest.fixture
def stock(hotel):
    return make_stock_to_count(hotel)


def test_a_batch_posts_every_location_at_once_and_only_once(hotel, manager, stock):
    rum, mint = stock["items"]["rhum"], stock["items"]["menthe"]
    bar, store = stock["bar"], stock["store"]
    batch = count_batch_start(property=hotel, actor=manager)
    counts = {c.location_id: c for c in batch.counts.all()}
    assert set(counts) == {bar.pk, store.pk}
    count_submit(
        count=counts[bar.pk],
        counted={rum.pk: Decimal("1350"), mint.pk: Decimal("300")},
        actor=manager,
    )
    with pytest.raises(InvalidInput, match="Réserve"):
        count_batch_post(batch=batch, approver=manager, is_manager=True)
    assert not StockMovement.objects.filter(kind="count").exists()
    count_submit(count=counts[store.pk], counted={rum.pk: Decimal("7700")}, actor=manager)
    report, value = count_batch_report(batch=batch)
    # bar: −50 ml × 0.02 = −1.00; store: +700 ml × 0.02 = +14.00
    assert [(row.location.name, row.value) for row in report] == [
        ("Bar", Decimal("-1.00")),
        ("Réserve", Decimal("14.00")),
    ]
    assert value == Decimal("13.00")
    assert count_batch_post(batch=batch, approver=manager, is_manager=True) == 2
    with pytest.raises(InvalidInput):
        count_batch_post(batch=batch, approver=manager, is_manager=True)
    assert StockMovement.objects.filter(kind="count").count() == 2
    assert StockLevel.objects.get(item=rum, location=bar).quantity == Decimal("1350")
    assert StockLevel.objects.get(item=rum, location=store).quantity == Decimal("7700")
    for location in (bar, store):
        levels = dict(
            StockLevel.objects.filter(location=location).values_list("item_id", "quantity")
        )
        assert ledger_balances(location_id=location.pk) == levels
    batch.refresh_from_db()
    assert batch.status == "posted" and batch.posted_by == manager
    assert set(StockCount.objects.values_list("status", flat=True)) == {"approved"}


def test_a_batch_of_chosen_locations_and_its_rules(hotel, other_hotel, manager, stock):
    from inventory.models import StockLocation

    batch = count_batch_start(property=hotel, actor=manager, location_ids=[stock["store"].pk])
    assert [c.location for c in batch.counts.all()] == [stock["store"]]
    theirs = StockLocation.objects.create(property=other_hotel, code="x", name="X", kind="bar")
    with pytest.raises(InvalidInput):
        count_batch_start(property=hotel, actor=manager, location_ids=[theirs.pk])
    with pytest.raises(InvalidInput):
        count_batch_start(property=hotel, actor=manager, location_ids=[])
    from core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        count_batch_post(batch=batch, approver=manager, is_manager=False)
    assert StockCountBatch.objects.count() == 1


def test_batch_screens_sheets_post_and_report(client, hotel, other_hotel, manager, stock,
                                              django_assert_max_num_queries):  # fmt: skip
    rum, mint = stock["items"]["rhum"], stock["items"]["menthe"]
    client.force_login(manager)
    client.cookies["django_language"] = "fr"
    assert 'href="/manage/stock/hotel-counts/"' in client.get("/manage/stock/").content.decode()
    started = client.post("/manage/stock/hotel-counts/", {"scope": "all"})
    batch = StockCountBatch.objects.get()
    assert started.url == f"/manage/stock/hotel-counts/{batch.pk}/"
    page = client.get(started.url).content.decode()
    assert "Inventaire général" in page and "batch-post" not in page
    bar_count = batch.counts.get(location=stock["bar"])
    sheet = client.get(f"/manage/stock/counts/{bar_count.pk}/").content.decode()
    assert "1 400" not in sheet and "1400" not in sheet  # blind
    back = client.post(
        f"/manage/stock/counts/{bar_count.pk}/",
        {f"item_{rum.pk}": "1350", f"item_{mint.pk}": "290"},
    )
    assert back.url == started.url
    store_count = batch.counts.get(location=stock["store"])
    client.post(f"/manage/stock/counts/{store_count.pk}/", {f"item_{rum.pk}": "7000"})
    with django_assert_max_num_queries(14):
        page = client.get(started.url).content.decode()
    assert 'data-testid="batch-post"' in page
    assert "−1,30" in page or "-1,30" in page  # −50 ml × 0.02 − 10 g × 0.03
    done = client.post(f"/manage/stock/hotel-counts/{batch.pk}/post/", follow=True)
    assert "2 ajustements enregistrés" in done.content.decode()
    again = client.post(f"/manage/stock/hotel-counts/{batch.pk}/post/", follow=True)
    assert "déjà validé" in again.content.decode()
    assert StockMovement.objects.filter(kind="count").count() == 2
    other = StockCountBatch.objects.create(property=other_hotel)
    assert client.get(f"/manage/stock/hotel-counts/{other.pk}/").status_code == 404
    assert client.post(f"/manage/stock/hotel-counts/{other.pk}/post/").status_code == 404
    bartender = make_staff(hotel, Role.BARTENDER, username="barman")
    client.force_login(bartender)
    assert client.get("/manage/stock/hotel-counts/").status_code == 403
