"""Purchasing on screen: a purchase order typed by hand (draft, once on a double tap, then
sent as a PDF by e-mail), a delivery without an order (levels up, weighted average cost, once
on a double tap) and a supplier invoice recorded against deliveries with its difference."""

from decimal import Decimal

import pytest

from inventory.models import GoodsReceipt, PurchaseOrder, StockItem, StockLevel, SupplierInvoice
from inventory.services.purchasing import DeliveryLine, goods_receive_direct
from tests.factories.pos import make_terminal
from tests.factories.stock import make_bar_stock


@pytest.fixture
def stock(hotel):
    return make_bar_stock(hotel, make_terminal(hotel))


@pytest.fixture
def fr(client, manager):
    client.force_login(manager)
    client.cookies["django_language"] = "fr"
    return client


def test_a_manual_order_drafted_once_then_sent_as_pdf(
    fr, hotel, stock, celery_eager, mailoutbox, django_capture_on_commit_callbacks
):
    supplier, rum = stock["supplier"], stock["offers"]["rhum"]
    page = fr.get(f"/manage/stock/orders/?supplier={supplier.pk}").content.decode()
    assert "Bouteille 70 cl" in page and "Nouveau bon de commande" in page
    form = {
        "supplier": supplier.pk,
        "location": stock["store"].pk,
        "key": "k-order-1",
        f"pack_{rum.pk}": "6",
    }
    negative = fr.post("/manage/stock/orders/", {**form, f"pack_{rum.pk}": "-1", "key": "k0"})
    assert negative.status_code == 422 and "ne peut pas être négatif" in (negative.content.decode())
    first = fr.post("/manage/stock/orders/", form)
    second = fr.post("/manage/stock/orders/", form)  # the double tap
    order = PurchaseOrder.objects.get()
    assert first.url == second.url == f"/manage/stock/orders/{order.pk}/"
    (line,) = order.lines.all()
    assert (order.status, order.location, line.packs, line.pack_price) == (
        "draft",
        stock["store"],
        Decimal("6"),
        Decimal("14.00"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        fr.post(f"/manage/stock/orders/{order.pk}/", {"action": "send"})
    order.refresh_from_db()
    assert order.status == "sent"
    (mail,) = mailoutbox
    assert mail.to == ["commandes@cave.test"]
    assert mail.attachments[0][0] == f"PO-{order.number}.pdf"
    assert mail.attachments[0][1][:4] == b"%PDF"
    listing = fr.get("/manage/stock/orders/").content.decode()
    assert "84,00" in listing and "Envoyée" in listing


def test_a_delivery_without_order_raises_levels_at_weighted_average_cost(fr, hotel, stock):
    supplier, bar = stock["supplier"], stock["bar"]
    rum_offer, mint_offer = stock["offers"]["rhum"], stock["offers"]["menthe"]
    rum = stock["items"]["rhum"]  # 0.02 per ml, nothing on hand yet
    form = {
        "supplier": supplier.pk,
        "location": bar.pk,
        "key": "k-delivery-1",
        "delivery_note": "BL-77",
        f"pack_{rum_offer.pk}": "2",
        f"price_{rum_offer.pk}": "",
        f"pack_{mint_offer.pk}": "1",
        f"price_{mint_offer.pk}": "3,50",
    }
    bad = fr.post(
        "/manage/stock/deliveries/", {**form, f"price_{rum_offer.pk}": "-2", "key": "other"}
    )
    assert bad.status_code == 422 and "ne peut pas être négatif" in bad.content.decode()
    assert not GoodsReceipt.objects.exists()
    fr.post("/manage/stock/deliveries/", form)
    fr.post("/manage/stock/deliveries/", form)  # the double tap records once
    receipt = GoodsReceipt.objects.get()
    assert (receipt.order, receipt.total, receipt.delivery_note) == (
        None,
        Decimal("31.50"),
        "BL-77",
    )
    assert StockLevel.objects.get(item=rum, location=bar).quantity == Decimal("1400")
    assert StockLevel.objects.get(item=stock["items"]["menthe"], location=bar).quantity == 100
    rum.refresh_from_db()
    assert rum.average_cost == Decimal("0.020000")  # 14.00 / 700 ml
    # a second delivery at another price: (1400 × 0.02 + 700 × 0.03) / 2100
    goods_receive_direct(
        property=hotel,
        supplier_id=supplier.pk,
        location_id=bar.pk,
        lines=[DeliveryLine(rum_offer.pk, Decimal("1"), Decimal("21.00"))],
        actor=None,
        key="k2",
    )
    rum.refresh_from_db()
    assert rum.average_cost == Decimal("0.023333")
    listing = fr.get("/manage/stock/deliveries/").content.decode()
    assert "BL-77" in listing and "sans commande" in listing


def test_a_supplier_invoice_against_deliveries_shows_its_difference(fr, hotel, stock):
    supplier, bar = stock["supplier"], stock["bar"]
    receipt = goods_receive_direct(
        property=hotel,
        supplier_id=supplier.pk,
        location_id=bar.pk,
        lines=[DeliveryLine(stock["offers"]["rhum"].pk, Decimal("3"))],
        actor=None,
        key="k1",
    )
    page = fr.get(f"/manage/stock/invoices/?supplier={supplier.pk}").content.decode()
    assert f'value="{receipt.pk}"' in page and "42,00" in page
    form = {
        "supplier": supplier.pk,
        "receipts": [receipt.pk],
        "number": "F-2026-118",
        "issued_on": "2026-12-01",
        "total_excl_vat": "43,50",
        "total_incl_vat": "52,20",
    }
    upside_down = fr.post("/manage/stock/invoices/", {**form, "total_incl_vat": "10"})
    assert upside_down.status_code == 422
    assert "ne peut pas être inférieur" in upside_down.content.decode()
    done = fr.post("/manage/stock/invoices/", form, follow=True).content.decode()
    assert "1,50" in done  # billed 43.50 for deliveries worth 42.00
    invoice = SupplierInvoice.objects.get()
    assert list(invoice.receipts.all()) == [receipt]
    again = fr.post("/manage/stock/invoices/", form)
    assert again.status_code == 422 and "déjà enregistrée" in again.content.decode()
    after = fr.get(f"/manage/stock/invoices/?supplier={supplier.pk}").content.decode()
    assert "Toutes les livraisons de ce fournisseur sont facturées." in after


def test_purchasing_lists_in_constant_queries_and_scoped(
    fr, hotel, other_hotel, stock, django_assert_max_num_queries
):
    supplier = stock["supplier"]
    for n in range(15):
        goods_receive_direct(
            property=hotel,
            supplier_id=supplier.pk,
            location_id=stock["bar"].pk,
            lines=[DeliveryLine(stock["offers"]["menthe"].pk, Decimal("1"))],
            actor=None,
            key=f"k{n}",
        )
    for url in (
        "/manage/stock/orders/",
        "/manage/stock/deliveries/",
        f"/manage/stock/invoices/?supplier={supplier.pk}",
    ):
        fr.get(url)
        with django_assert_max_num_queries(14):
            assert fr.get(url).status_code == 200
    from inventory.models import Supplier

    theirs = Supplier.objects.create(property=other_hotel, name="Ailleurs")
    page = fr.get(f"/manage/stock/orders/?supplier={theirs.pk}").content.decode()
    assert "Ailleurs" not in page
    refused = fr.post(
        "/manage/stock/deliveries/",
        {"supplier": theirs.pk, "key": "x", "location": stock["bar"].pk},
    )
    assert refused.status_code == 422
    assert StockItem.objects.filter(property=hotel).count() == 6
