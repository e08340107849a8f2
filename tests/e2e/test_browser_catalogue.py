"""The manager's catalogue in Chromium at 1280×800 and 768×1024: a dish created with its
allergens and a required cooking group, put on the restaurant's menu, 86'd for the night with
one tap; the waiter's tablet then refuses it server-side, and refuses it without its cooking
once back on sale. A promotion created on screen shows with its stock. Nothing wraps out of
the page at 768 px."""

from decimal import Decimal

import pytest

from inventory.exceptions import ChoiceRequired, ProductSoldOut
from inventory.models import Category, Modifier, ModifierGroup, Product, Promotion
from pos.models import Outlet, Table
from pos.services.tables import tab_add_line, table_open
from tests.e2e.test_browser import (  # noqa: F401  (the browser fixtures)
    _async_unsafe,
    browser,
    open_as,
    screenshot,
    viewport,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"


@pytest.fixture
def outlets(catalog):
    from pos import demo

    demo.seed(catalog)
    return catalog


def test_a_manager_builds_a_dish_and_86s_it(
    open_as,  # noqa: F811
    live_server,
    viewport,  # noqa: F811
    hotel,
    outlets,
    manager,
    waiter,
):
    page = open_as(manager)
    base = live_server.url
    # the dish, with two allergens
    page.goto(f"{base}/manage/catalogue/products/new/")
    page.fill("#id_name_fr", "Onglet de bœuf")
    page.fill("#id_name_en", "Hanger steak")
    page.fill("#id_code", "onglet")
    page.select_option("#id_category", label="Main courses")
    page.fill("#id_price", "24.00")
    page.select_option("#id_vat_rate", "10.00")
    page.select_option("#id_revenue_category", "food")
    page.check("input[name=allergens][value=mustard]")
    page.check("input[name=allergens][value=sulphites]")
    no_horizontal_overflow(page)
    screenshot(page, "catalogue-product-form", viewport)
    page.click("[data-testid=product-save]")
    page.wait_for_selector("text=“Hanger steak” saved.")
    steak = Product.objects.get(property=hotel, code="onglet")
    assert steak.allergens == ["mustard", "sulphites"]

    # its required cooking group, with two options
    page.goto(f"{base}/manage/catalogue/groups/")
    form = page.locator("[data-testid=group-form]")
    form.locator("#id_name_fr").fill("Cuisson de l'onglet")
    form.locator("#id_name_en").fill("Steak doneness")
    form.locator("#id_min_choices").fill("1")
    form.locator("#id_max_choices").fill("1")
    form.locator(f"#gp-new-{steak.pk}").check()
    form.locator("[data-testid=group-save]").click()
    page.wait_for_selector("text=Modifier group added.")
    cooking = ModifierGroup.objects.get(property=hotel, name_fr="Cuisson de l'onglet")
    for option in ("Saignant", "À point"):
        page.fill(f"#m-fr-{cooking.pk}", option)
        page.locator(f"#m-fr-{cooking.pk}").press("Enter")
        page.wait_for_selector("text=Option added.")
    no_horizontal_overflow(page)
    screenshot(page, "catalogue-groups", viewport)

    # on the restaurant's menu only
    plats = Category.objects.get(property=hotel, name_fr="Plats")
    restaurant = Outlet.objects.get(property=hotel, code="restaurant")
    page.goto(f"{base}/manage/catalogue/outlets/")
    section = page.locator("[data-testid=outlet][data-code=restaurant]")
    for box in section.locator("input[name=categories]").all():
        box.uncheck()
    section.locator(f"#oc-{restaurant.pk}-{plats.pk}").check()
    section.locator(f"#oq-{restaurant.pk}-{steak.pk}").check()
    section.locator("[data-testid=outlet-save]").click()
    page.wait_for_selector("text=The menu of Restaurant La Pinède is saved.")
    assert list(restaurant.categories.all()) == [plats]
    assert list(restaurant.quick_keys.all()) == [steak]
    no_horizontal_overflow(page)

    # the catalogue list shows the allergens and the required group; one tap 86s it
    page.goto(f"{base}/manage/catalogue/")
    row = page.locator("[data-testid=product-row][data-code=onglet]")
    assert "Mustard" in row.inner_text() and "Steak doneness" in row.inner_text()
    row.locator("[data-testid=sold-out-set]").click()
    page.wait_for_selector("text=is sold out until the end of the service.")
    no_horizontal_overflow(page)
    screenshot(page, "catalogue-list", viewport)

    # the waiter's tablet refuses the 86'd dish, then the dish without its cooking
    table = Table.objects.filter(outlet=restaurant).first()
    tab = table_open(table=table, covers=2, actor=waiter)
    steak.refresh_from_db()
    rare = Modifier.objects.get(group__name_fr="Cuisson de l'onglet", name_fr="Saignant")
    with pytest.raises(ProductSoldOut):
        tab_add_line(tab=tab, product=steak, actor=waiter, modifier_ids=[rare.pk])
    page.locator("[data-testid=product-row][data-code=onglet] [data-testid=sold-out-clear]").click()
    page.wait_for_selector("text=is back on sale.")
    steak.refresh_from_db()
    with pytest.raises(ChoiceRequired):
        tab_add_line(tab=tab, product=steak, actor=waiter)
    line = tab_add_line(tab=tab, product=steak, actor=waiter, modifier_ids=[rare.pk])
    assert "Saignant" in line.description or "Rare" in line.description
    assert tab.lines.count() == 1


def test_promotions_on_screen_with_their_stock(
    open_as,  # noqa: F811
    live_server,
    viewport,  # noqa: F811
    hotel,
    catalog,
    manager,
):
    page = open_as(manager)
    page.goto(f"{live_server.url}/manage/promotions/")
    form = page.locator("[data-testid=promotion-form]")
    form.locator("#id_name_fr").fill("Massage d'automne")
    form.locator("#id_name_en").fill("Autumn massage")
    form.locator("#id_code").fill("automne")
    form.locator("#id_amount_off").fill("10.00")
    form.locator("#id_stock_cap").fill("1")
    form.locator("[data-testid=promotion-save]").click()
    page.wait_for_selector("text=“Autumn massage” saved.")
    row = page.locator("[data-testid=promotion-row][data-code=automne]")
    assert "1 left of 1" in row.inner_text() and "Running" in row.inner_text()
    assert "€10.00" in row.inner_text()
    no_horizontal_overflow(page)
    screenshot(page, "promotions", viewport)
    row.locator("[data-testid=pause]").click()
    page.wait_for_selector("text=“Autumn massage” updated.")
    assert "Paused" in page.locator("[data-testid=promotion-row][data-code=automne]").inner_text()
    assert not Promotion.objects.get(property=hotel, code="automne").is_active
    # a percentage of 150 is refused with its reason, and nothing is saved
    form = page.locator("[data-testid=promotion-form]")
    form.locator("#id_name_fr").fill("Trop")
    form.locator("#id_code").fill("trop")
    form.locator("#id_percent_off").fill("150")
    form.locator("[data-testid=promotion-save]").click()
    page.wait_for_selector("[data-testid=form-error]")
    assert "between 0 and 100" in page.locator("[data-testid=form-error]").inner_text()
    assert not Promotion.objects.filter(code="trop").exists()
    assert Decimal("10.00") == Promotion.objects.get(code="automne").amount_off
