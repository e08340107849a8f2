"""A day at the bar (issue 26): a delivery received against a purchase order, 40 mojitos sold
(their ingredients taken in each sale's transaction), a transfer from the store room, a
breakage written off, a blind count at closing approved by the manager. At the end every
level is the sum of its ledger, the low-stock alert has fired at the reorder point, and the
margin report equals the hand computation below."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum

from core.exceptions import PermissionDenied
from core.models import Role
from inventory.exceptions import OutOfStock
from inventory.models import PurchaseOrder, StockCountLine, StockLevel, StockMovement
from inventory.services.purchasing import (
    OrderLine,
    goods_receive,
    purchase_order_create,
    purchase_order_send,
    reorder_suggestions,
    supplier_invoice_record,
)
from inventory.services.stock import (
    Move,
    count_approve,
    count_start,
    count_submit,
    stock_apply,
    stock_transfer,
    stock_waste,
)
from pos.services.checkout import order_checkout
from reporting.models import Alert
from reporting.periods import Period
from reporting.services import alerts_evaluate
from reporting.stock import margins, usage_variance
from tests.factories.pos import make_terminal
from tests.factories.stock import make_bar_stock
from tests.pos.helpers import cash, line


def level(item, location) -> Decimal:
    return StockLevel.objects.get(item=item, location=location).quantity


@pytest.fixture
def terminal(hotel):
    return make_terminal(hotel)


def test_a_day_at_the_bar(
    hotel,
    catalog,
    terminal,
    staff_of,
    manager,
    celery_eager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    bartender = staff_of(hotel, Role.BARTENDER, username="barman")
    stock = make_bar_stock(hotel, terminal)
    items, bar, store = stock["items"], stock["bar"], stock["store"]
    rum, mint = items["rhum"], items["menthe"]
    # the bar's other ingredients were there this morning
    with transaction.atomic():
        stock_apply(
            property=hotel,
            moves=[
                Move(items[code].pk, bar.pk, Decimal(q), "receipt")
                for code, q in {
                    "sirop": "1400",
                    "citron": "30",
                    "soda": "5000",
                    "glace": "10000",
                }.items()
            ],
            reference="opening",
        )
    # the rum at the bar is reordered at two bottles, up to four
    StockLevel.objects.create(
        property=hotel,
        item=rum,
        location=bar,
        reorder_point=Decimal("1400"),
        par_level=Decimal("2800"),
    )

    # 1. a purchase order to the store room, sent as a PDF, delivered in two parts
    order = purchase_order_create(
        property=hotel,
        supplier_id=stock["supplier"].pk,
        location_id=store.pk,
        lines=[
            OrderLine(stock["offers"]["rhum"].pk, Decimal("6")),
            OrderLine(stock["offers"]["menthe"].pk, Decimal("5")),
        ],
        actor=manager,
    )
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order_send(order=order, actor=manager)
    (mail,) = mailoutbox
    assert mail.to == ["commandes@cave.test"]
    assert mail.attachments[0][0] == f"PO-{order.number}.pdf"
    assert mail.attachments[0][1][:4] == b"%PDF"
    rum_line, mint_line = order.lines.order_by("pk")
    first = goods_receive(
        order=order,
        received={rum_line.pk: Decimal("4"), mint_line.pk: Decimal("5")},
        actor=bartender,
        delivery_note="BL-881",
    )
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.PARTLY_RECEIVED
    # the last two bottles cost more: 15.40 €; the average cost is weighted
    second = goods_receive(
        order=order,
        received={rum_line.pk: Decimal("2")},
        costs={rum_line.pk: Decimal("15.40")},
        actor=bartender,
    )
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED
    rum.refresh_from_db()
    # (2800 ml × 0.02 + 1400 ml × 0.022) / 4200 ml
    assert rum.average_cost == Decimal("0.020667")
    assert level(rum, store) == Decimal("4200")
    invoice = supplier_invoice_record(
        property=hotel,
        supplier_id=stock["supplier"].pk,
        number="F-2026-118",
        issued_on=hotel.business_date(),
        total_excl_vat=Decimal("101.80"),
        total_incl_vat=Decimal("122.16"),
        receipt_ids=[first.pk, second.pk],
        actor=manager,
    )
    assert set(invoice.receipts.all()) == {first, second}
    assert first.total + second.total == Decimal("101.80")  # 4×14 + 5×3 + 2×15.40

    # 2. the store room sends three bottles and three bunches of mint to the bar
    stock_transfer(
        property=hotel,
        item_id=rum.pk,
        source_id=store.pk,
        destination_id=bar.pk,
        quantity="2100",
        actor=bartender,
    )
    stock_transfer(
        property=hotel,
        item_id=mint.pk,
        source_id=store.pk,
        destination_id=bar.pk,
        quantity="300",
        actor=bartender,
    )
    alerts_evaluate(property=hotel)
    assert not Alert.objects.filter(kind=Alert.Kind.LOW_STOCK).exists()

    # 3. forty mojitos, each sale taking its six ingredients
    lines = [line(stock["mojito"])]
    for _ in range(40):
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=bartender,
            lines=lines,
            tenders=cash(hotel, lines),
        )
    assert level(rum, bar) == Decimal("100")  # 2100 − 40 × 5 cl
    assert level(mint, bar) == Decimal("60")
    assert StockMovement.objects.filter(kind="sale").count() == 40 * 6

    # 4. a bottle broken in the store room
    stock_waste(
        property=hotel,
        item_id=rum.pk,
        location_id=store.pk,
        quantity="700",
        reason="breakage",
        actor=bartender,
        note="Tombée du rayon",
    )
    assert level(rum, store) == Decimal("1400")

    # 5. the low-stock alert fires at the reorder point, and the order is suggested
    alerts_evaluate(property=hotel)
    alert = Alert.objects.get(kind=Alert.Kind.LOW_STOCK)
    assert alert.data["name"] == "Rhum blanc" and alert.data["location"] == "Bar"
    (suggestion,) = [s for s in reorder_suggestions(property=hotel) if s.level.location == bar]
    assert suggestion.packs == Decimal("4")  # 2800 − 100 = 2700 ml: four 70 cl bottles

    # 6. the blind count at closing
    count = count_start(property=hotel, location_id=bar.pk, actor=bartender)
    assert not StockCountLine.objects.filter(count=count).exists()  # nothing expected shown
    counted = {
        rum.pk: Decimal("80"),
        mint.pk: Decimal("60"),
        items["sirop"].pk: Decimal("600"),
        items["citron"].pk: Decimal("9"),
        items["soda"].pk: Decimal("1000"),
        items["glace"].pk: Decimal("4000"),
    }
    count_submit(count=count, counted=counted, actor=bartender)
    lines_by_item = {cl.item_id: cl for cl in count.lines.all()}
    assert lines_by_item[rum.pk].variance == Decimal("-20")
    assert lines_by_item[items["citron"].pk].variance == Decimal("-1")
    value = sum(cl.variance * cl.unit_cost for cl in lines_by_item.values())
    assert value.quantize(Decimal("0.01")) == Decimal("-0.66")  # 20 ml × 0.020667 + ½ × 0.25 × 2
    with pytest.raises(PermissionDenied):
        count_approve(count=count, approver=bartender, is_manager=False)
    count_approve(count=count, approver=manager, is_manager=True)
    assert level(rum, bar) == Decimal("80")
    assert level(items["citron"], bar) == Decimal("9")

    # the ledger explains every level
    for lv in StockLevel.objects.filter(property=hotel):
        total = StockMovement.objects.filter(item=lv.item, location=lv.location).aggregate(
            s=Sum("quantity")
        )["s"] or Decimal(0)
        assert total == lv.quantity, lv.item.name

    # 7. margins by hand: 40 × 10.00 € net; the recipe at today's average costs
    cost_one = (
        Decimal("50") * Decimal("0.020667")  # rum
        + Decimal("6") * Decimal("0.03")  # mint, from the delivery
        + Decimal("20") * Decimal("0.004")  # syrup
        + Decimal("0.5") * Decimal("0.25")  # lime
        + Decimal("100") * Decimal("0.001")  # soda
        + Decimal("150") * Decimal("0.0005")  # ice
    )
    today = Period(hotel.business_date(), hotel.business_date())
    (row,) = margins(property=hotel, period=today)
    assert (row.product, row.outlet, row.quantity) == ("Mojito", terminal.outlet.name, 40)
    assert row.net == Decimal("400.00")
    assert row.cost == (40 * cost_one).quantize(Decimal("0.01")) == Decimal("63.73")
    assert row.margin == Decimal("336.27")
    usage = {u.item: u for u in usage_variance(property=hotel, period=today)}
    assert usage["Rhum blanc"].theoretical == Decimal("2000")
    assert usage["Rhum blanc"].actual == Decimal("2020")
    assert usage["Rhum blanc"].variance_value == Decimal("-0.41")


def test_refuse_rule_names_the_item_and_changes_nothing(hotel, catalog, terminal, staff_of):
    bartender = staff_of(hotel, Role.BARTENDER, username="barman")
    stock = make_bar_stock(hotel, terminal)
    lines = [line(stock["mojito"])]
    with pytest.raises(OutOfStock) as refused:
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=bartender,
            lines=lines,
            tenders=cash(hotel, lines),
        )
    assert "Rhum blanc" in refused.value.message
    assert not StockMovement.objects.exists()
