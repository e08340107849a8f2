"""Issue 21: a rate plan's meals (room only, breakfast included, half or full board) set on
the rate plan's screen, shown with the booking engine's offer and on the confirmation; and a
promotion's list price the same on the offer and on the summary, to the cent
(list price − discount = price)."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from core.models import AuditEntry, Role
from inventory.models import Promotion, RatePlan
from pms.services.booking import _summary_text, booking_hold, booking_offers, booking_summary
from tests.factories.core import make_staff
from tests.pms.screens.test_rate_plans_manage import NEW

pytestmark = pytest.mark.django_db


def test_the_meal_plan_is_set_on_the_rate_plan_screen_and_audited(client, hotel, catalog):
    client.force_login(make_staff(hotel, Role.MANAGER, username="boss", pin="666666"))
    web = RatePlan.objects.get(property=hotel, code="web")
    form = client.get(reverse("rates:plan_edit", args=[web.pk])).content.decode()
    assert 'name="meal_plan"' in form and "Half board" in form
    data = {**NEW, "code": "web", "name_fr": web.name_fr, "meal_plan": "half_board"}
    data.update(guarantee="none", deposit_percent="", deposit_days_before="")
    assert client.post(reverse("rates:plan_edit", args=[web.pk]), data).status_code == 302
    web.refresh_from_db()
    assert web.meal_plan == RatePlan.MealPlan.HALF_BOARD
    entry = AuditEntry.objects.get(action="inventory.rate_plan.changed")
    assert entry.data["before"]["meal_plan"] == "room_only"
    assert entry.data["after"]["meal_plan"] == "half_board"
    assert "Half board" in client.get(reverse("rates:plans")).content.decode()

    client.cookies["django_language"] = "fr"
    response = client.post(
        reverse("rates:plan_edit", args=[web.pk]), {**data, "meal_plan": "all_inclusive"}
    )
    assert response.status_code == 422
    web.refresh_from_db()
    assert web.meal_plan == RatePlan.MealPlan.HALF_BOARD


def test_the_offer_and_the_confirmation_say_what_the_night_includes(client, hotel, rooms, day):
    web = RatePlan.objects.get(property=hotel, code="web")
    web.meal_plan = RatePlan.MealPlan.BREAKFAST
    web.save()  # the cached pricing configuration drops (inventory.signals)
    query = {
        "arrival": day(3).isoformat(),
        "departure": day(5).isoformat(),
        "adults": 2,
        "children": 0,
        "lang": "fr",
    }
    page = client.get(f"/book/{hotel.slug}/", query).content.decode()
    offer = page.split('data-testid="offer-classique"', 1)[1].split("</article>", 1)[0]
    assert 'data-testid="meal-plan">Petit-déjeuner inclus<' in offer

    reservation = booking_hold(
        property=hotel,
        room_type_id=rooms["classique"].pk,
        arrival=day(3),
        departure=day(5),
        adults=2,
        children=0,
        first_name="Léa",
        last_name="Dupont",
        email="lea@example.fr",
        language="fr",
    )
    assert "Petit-déjeuner inclus" in _summary_text(reservation, "fr")  # the e-mail's lines
    assert "Breakfast included" in _summary_text(reservation, "en")


def test_a_promotions_list_price_is_the_offers_to_the_cent_on_the_summary(hotel, rooms, day):
    classique = rooms["classique"]
    promo = Promotion.objects.create(
        property=hotel,
        code="automne",
        kind=Promotion.Kind.PROMOTION,
        name_fr="Automne −12,5 %",
        name_en="Autumn −12.5%",
        percent_off=D("12.5"),
        channels=["booking_engine"],
        priority=50,
    )
    promo.products.set([classique.product])
    (offer,) = [
        o
        for o in booking_offers(property=hotel, arrival=day(3), departure=day(6), adults=2)
        if o.room_type == classique
    ]
    assert offer.promotion and offer.undiscounted > offer.total
    reservation = booking_hold(
        property=hotel,
        room_type_id=classique.pk,
        arrival=day(3),
        departure=day(6),
        adults=2,
        children=0,
        first_name="Léa",
        last_name="Dupont",
        email="lea@example.fr",
    )
    (line,) = booking_summary(reservation=reservation)
    shown = line.promotion_discount
    assert shown.list_total == offer.undiscounted  # what the offer struck through
    assert shown.list_total - shown.discount == line.total == offer.total
