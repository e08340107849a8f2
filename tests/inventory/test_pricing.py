"""One quote everywhere: rate plan priority, seasons, promotions, rules, conditions."""

from datetime import date, time
from decimal import Decimal

import pytest
from django.db import transaction

from core.exceptions import InvalidInput, PermissionDenied
from inventory.exceptions import OfferExhausted
from inventory.models import Channel, Promotion
from inventory.services.pricing import QuoteLineInput, promotions_consume, quote

pytestmark = pytest.mark.django_db


def q(hotel, channel, *lines, booking_date=date(2026, 11, 23), **kw):
    return quote(
        property=hotel, channel=channel, lines=list(lines), booking_date=booking_date, **kw
    )


def test_room_nights_follow_seasons_and_rate_plan_priority(hotel, catalog, product):
    room = product("nuit-classique")
    # two nights across the low → ... boundary: 31 Mar (low, 89) and 1 Apr (mid, 119)
    line = QuoteLineInput(product_id=room.pk, start=date(2027, 3, 31), end=date(2027, 4, 2))
    booked = date(2027, 3, 20)  # too late for the early-booking offer
    desk = q(hotel, Channel.FRONT_DESK, line, booking_date=booked).lines[0]
    assert [p for _, p in desk.nightly] == [Decimal("89.00"), Decimal("119.00")]
    assert desk.total == Decimal("208.00")
    assert "rate:public" in desk.applied_rule
    web = q(hotel, Channel.BOOKING_ENGINE, line, booking_date=booked).lines[0]  # web −5 %
    assert web.total == Decimal("85.00") + Decimal("113.00")
    assert "rate:web" in web.applied_rule


def test_corporate_rate_only_for_entitled_customers(hotel, catalog, product):
    room = product("nuit-classique")
    line = QuoteLineInput(product_id=room.pk, start=date(2027, 3, 1), end=date(2027, 3, 2))
    corporate = catalog["rate_plans"]["entreprise"]
    assert q(hotel, Channel.FRONT_DESK, line).lines[0].total == Decimal("89.00")
    entitled = q(hotel, Channel.FRONT_DESK, line, rate_plan_ids=[corporate.pk]).lines[0]
    assert entitled.total == Decimal("71.00")
    assert "rate:entreprise" in entitled.applied_rule


def test_breakfast_promotion_online_from_two_nights(hotel, catalog, product):
    room, breakfast = product("nuit-superieure"), product("petit-dejeuner")
    stay = QuoteLineInput(product_id=room.pk, start=date(2027, 5, 10), end=date(2027, 5, 12))
    extra = QuoteLineInput(product_id=breakfast.pk, quantity=Decimal("4"), start=date(2027, 5, 11))
    online = q(hotel, Channel.BOOKING_ENGINE, stay, extra).lines[1]
    assert online.unit_price == Decimal("8.00")
    assert online.total == Decimal("32.00")
    assert "promo:petit-dej-web" in online.applied_rule
    desk = q(hotel, Channel.FRONT_DESK, stay, extra).lines[1]
    assert desk.total == Decimal("64.00")
    one_night = QuoteLineInput(product_id=room.pk, start=date(2027, 5, 10), end=date(2027, 5, 11))
    assert q(hotel, Channel.BOOKING_ENGINE, one_night, extra).lines[1].total == Decimal("64.00")


def test_early_booking_needs_enough_days_before(hotel, catalog, product):
    room = product("nuit-classique")
    line = QuoteLineInput(product_id=room.pk, start=date(2027, 3, 1), end=date(2027, 3, 2))
    early = q(hotel, Channel.BOOKING_ENGINE, line, booking_date=date(2027, 1, 1)).lines[0]
    assert "promo:reservez-tot" in early.applied_rule
    assert early.total == Decimal("72.25")  # 85.00 web × 0.85
    late = q(hotel, Channel.BOOKING_ENGINE, line, booking_date=date(2027, 2, 20)).lines[0]
    assert late.total == Decimal("85.00")


def test_automatic_rule_discounts_extras_in_low_season_on_every_channel(hotel, catalog, product):
    massage = product("massage-60")
    low = QuoteLineInput(product_id=massage.pk, start=date(2026, 12, 5), slot_time=time(15))
    high = QuoteLineInput(product_id=massage.pk, start=date(2027, 7, 5), slot_time=time(15))
    for channel in (Channel.POS, Channel.BOOKING_ENGINE, Channel.API):
        assert q(hotel, channel, low).lines[0].total == Decimal("85.50")
        assert q(hotel, channel, high).lines[0].total == Decimal("95.00")


def test_variants_and_modifiers_are_priced(hotel, catalog, product):
    beer, steak = product("biere"), product("entrecote")
    large = beer.variants.get(name_fr="50 cl")
    fries = steak.modifier_groups.get(name_fr="Options").modifiers.get(name_fr="Supplément frites")
    rare = steak.modifier_groups.get(name_fr="Cuisson").modifiers.get(name_fr="Saignant")
    result = q(
        hotel,
        Channel.POS,
        QuoteLineInput(product_id=beer.pk, variant_id=large.pk, quantity=Decimal("2")),
        QuoteLineInput(product_id=steak.pk, modifier_ids=(rare.pk, fries.pk)),
    )
    assert [line.total for line in result.lines] == [Decimal("19.00"), Decimal("32.00")]
    assert result.total == Decimal("51.00")


def test_vat_is_per_line_and_summed_per_rate(hotel, catalog, product):
    result = q(
        hotel,
        Channel.POS,
        QuoteLineInput(product_id=product("spritz").pk),  # 11.00 at 20 %
        QuoteLineInput(product_id=product("cafe").pk),  # 2.50 at 10 %
        QuoteLineInput(product_id=product("coca").pk),
    )  # 4.50 at 10 %
    assert [line.vat_amount for line in result.lines] == [
        Decimal("1.83"),
        Decimal("0.23"),
        Decimal("0.41"),
    ]
    assert result.vat_by_rate == {
        Decimal("20.00"): {
            "net": Decimal("9.17"),
            "vat": Decimal("1.83"),
            "gross": Decimal("11.00"),
        },
        Decimal("10.00"): {
            "net": Decimal("6.36"),
            "vat": Decimal("0.64"),
            "gross": Decimal("7.00"),
        },
    }


@pytest.mark.parametrize("quantity", [Decimal("0"), Decimal("-1"), Decimal("1.5")])
def test_bad_quantities_are_refused(hotel, catalog, product, quantity):
    with pytest.raises(InvalidInput):
        q(hotel, Channel.POS, QuoteLineInput(product_id=product("cafe").pk, quantity=quantity))


def test_unknown_product_and_other_property_product_are_refused(
    hotel, other_hotel, catalog, product
):
    with pytest.raises(InvalidInput):
        q(hotel, Channel.POS, QuoteLineInput(product_id=999999))
    with pytest.raises(InvalidInput):
        q(other_hotel, Channel.POS, QuoteLineInput(product_id=product("cafe").pk))


def test_price_override_needs_the_right(hotel, catalog, product):
    line = QuoteLineInput(product_id=product("rose").pk, unit_price_override=Decimal("5.00"))
    with pytest.raises(PermissionDenied):
        q(hotel, Channel.POS, line)
    assert q(hotel, Channel.POS, line, allow_price_override=True).total == Decimal("5.00")


def test_dates_out_of_order_are_refused(hotel, catalog, product):
    with pytest.raises(InvalidInput):
        q(
            hotel,
            Channel.FRONT_DESK,
            QuoteLineInput(
                product_id=product("nuit-classique").pk,
                start=date(2027, 3, 2),
                end=date(2027, 3, 1),
            ),
        )


def test_offer_stock_cap_closes_the_promotion(hotel, catalog, product):
    Promotion.objects.filter(code="petit-dej-web").update(stock_cap=4)
    room, breakfast = product("nuit-superieure"), product("petit-dejeuner")
    stay = QuoteLineInput(product_id=room.pk, start=date(2027, 5, 10), end=date(2027, 5, 12))
    extra = QuoteLineInput(product_id=breakfast.pk, quantity=Decimal("4"), start=date(2027, 5, 11))
    first = q(hotel, Channel.BOOKING_ENGINE, stay, extra)
    with transaction.atomic():
        promotions_consume(quote=first)
    again = q(hotel, Channel.BOOKING_ENGINE, stay, extra)
    assert again.lines[1].total == Decimal("64.00")  # offer closed: full price
    with pytest.raises(OfferExhausted), transaction.atomic():
        promotions_consume(quote=first)  # a stale quote cannot take the offer again


def test_prices_are_read_once_then_follow_every_price_change(hotel, catalog, product):
    """A product's prices are kept in the cache under the catalog token: the next quote
    reads no price row, and a price changed, added or in a plan switched off is seen by the
    very next quote."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inventory.models import Price

    room = product("nuit-classique")
    night = QuoteLineInput(product_id=room.pk, start=date(2027, 3, 1), end=date(2027, 3, 2))
    assert q(hotel, Channel.FRONT_DESK, night).total == Decimal("89.00")
    with CaptureQueriesContext(connection) as queries:
        assert q(hotel, Channel.FRONT_DESK, night).total == Decimal("89.00")
    assert not [x for x in queries.captured_queries if '"inventory_price"' in x["sql"]]
    # a price changed in the back office
    low = catalog["rate_plans"]["public"].prices.get(product=room, season__code="basse")
    low.price = Decimal("95.00")
    low.save()
    assert q(hotel, Channel.FRONT_DESK, night).total == Decimal("95.00")
    # a price added for one channel only
    Price.objects.create(
        rate_plan=catalog["rate_plans"]["public"],
        product=room,
        season=low.season,
        channel=Channel.FRONT_DESK,
        price=Decimal("92.00"),
    )
    assert q(hotel, Channel.FRONT_DESK, night).total == Decimal("92.00")
    # the web plan switched off: online sells at the public price (booked the day before:
    # no early-booking offer)
    web = catalog["rate_plans"]["web"]
    late = date(2027, 2, 28)
    assert q(hotel, Channel.BOOKING_ENGINE, night, booking_date=late).total == Decimal("85.00")
    web.is_active = False
    web.save()
    assert q(hotel, Channel.BOOKING_ENGINE, night, booking_date=late).total == Decimal("95.00")
