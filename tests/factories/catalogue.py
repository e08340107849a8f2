"""Products for tests: the fields every test repeats, with French-restaurant defaults."""

from decimal import Decimal

from inventory.models import GiftCardKind, Product, RevenueCategory


def make_product(
    property,
    code: str,
    name: str,
    price: str,
    *,
    vat: str = "10.00",
    revenue: str = RevenueCategory.FOOD,
    **fields,
) -> Product:
    """A product of `property`'s catalogue, named `name` in both languages unless told."""
    fields.setdefault("name_en", name)
    return Product.objects.create(
        property=property,
        code=code,
        name_fr=name,
        price=Decimal(price),
        vat_rate=Decimal(vat),
        revenue_category=revenue,
        **fields,
    )


def make_gift_card_product(
    property, *, code: str = "carte-cadeau", price: str = "50.00", name: str = "Carte cadeau"
) -> Product:
    """A multi-purpose gift card: no VAT when sold, the VAT is due when it is spent."""
    product = make_product(
        property,
        code,
        name,
        price,
        vat="0.00",
        revenue=RevenueCategory.VOUCHER,
        name_en="Gift card",
        gift_card_kind=GiftCardKind.MULTI_PURPOSE,
    )
    product.full_clean()
    return product
