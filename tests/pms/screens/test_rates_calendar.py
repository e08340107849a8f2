"""PLT-6, PRC-1, PMS-4, INV-4: the manager's rates and availability calendar, its bulk edit,
seasons, capacity rules and a cell's history — and that every channel prices the change."""

from datetime import date, timedelta
from decimal import Decimal

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from channels_sync.services.feeds import feed_create
from core.formatting import money
from core.models import AuditEntry, Role
from inventory.models import (
    CapacityPool,
    Channel,
    DailyRate,
    Product,
    RatePlan,
    RevenueCategory,
    Season,
    SeasonPeriod,
    StopSell,
)
from inventory.services.pricing import QuoteLineInput, quote
from pms.models import Restriction, RoomType
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client, hotel, rooms):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def next_july(hotel) -> date:
    today = hotel.business_date()
    return date(today.year + (1 if today.month >= 7 else 0), 7, 1)


def weekend_in(july: date) -> tuple[date, date]:
    """The first Friday of the month and the Sunday after it."""
    friday = july + timedelta(days=(4 - july.weekday()) % 7)
    return friday, friday + timedelta(days=2)


def bulk(client, **fields):
    return client.post(reverse("rates:bulk"), fields)


def test_ten_percent_on_july_weekends_shows_at_once_in_the_booking_engine_api_and_desk(
    client, boss, hotel, room_type, django_capture_on_commit_callbacks
):
    july = next_july(hotel)
    friday, sunday = weekend_in(july)
    classique = room_type("classique")
    web = RatePlan.objects.get(property=hotel, code="web")
    public = RatePlan.objects.get(property=hotel, code="public")
    stay = {
        "arrival": friday.isoformat(),
        "departure": sunday.isoformat(),
        "adults": 2,
        "children": 0,
        "lang": "en",
    }
    before = {
        o.room_type.code: o for o in client.get(f"/book/{hotel.slug}/", stay).context["offers"]
    }
    old_list = before["classique"].undiscounted  # the list price, before any promotion

    def desk_list_price():
        line = quote(
            property=hotel,
            channel=Channel.FRONT_DESK,
            lines=[QuoteLineInput(product_id=classique.product_id, start=friday, end=sunday)],
        ).lines[0]
        return line.total + line.discount

    desk_before = desk_list_price()

    with django_capture_on_commit_callbacks(execute=True):
        response = bulk(
            client,
            start=july.isoformat(),
            end=date(july.year, 7, 31).isoformat(),
            weekdays=["4", "5"],
            products=[str(classique.product_id)],
            rate_plan=str(web.pk),
            change="percent",
            value="10",
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        bulk(
            client,
            start=july.isoformat(),
            end=date(july.year, 7, 31).isoformat(),
            weekdays=["4", "5"],
            products=[str(classique.product_id)],
            rate_plan=str(public.pk),
            change="percent",
            value="10",
        )

    # every Friday and Saturday of July, nothing else
    days = set(
        DailyRate.objects.filter(rate_plan=web, product=classique.product).values_list(
            "day", flat=True
        )
    )
    assert days and all(d.weekday() in (4, 5) and d.month == 7 for d in days)
    assert len(days) == sum(1 for i in range(31) if (july + timedelta(days=i)).weekday() in (4, 5))

    # the booking engine: the new price at once
    after = {
        o.room_type.code: o for o in client.get(f"/book/{hotel.slug}/", stay).context["offers"]
    }
    assert after["classique"].undiscounted == (old_list * Decimal("1.1")).quantize(Decimal("0.01"))
    assert after["classique"].total > before["classique"].total

    # the API quote (booking engine channel) says the same
    api = APIClient()
    desk = make_staff(hotel, Role.FRONT_DESK, username="desk")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=desk).key}")
    answer = api.post(
        f"/api/v1/properties/{hotel.slug}/quote",
        {
            "channel": "booking_engine",
            "lines": [
                {"product": classique.product.code, "start": str(friday), "end": str(sunday)}
            ],
        },
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert Decimal(answer.json()["total"]) == after["classique"].total

    # the desk (public rate) too
    desk_after = desk_list_price()
    assert desk_after == (desk_before * Decimal("1.1")).quantize(Decimal("0.01"))

    # the calendar shows the new price, and the cell's history who changed it
    page = client.get(reverse("rates:calendar"), {"start": friday.isoformat(), "days": 3})
    html = page.content.decode()
    new_night = (after["classique"].undiscounted / 2).quantize(Decimal("0.01"))
    assert money(new_night) in html
    history = client.get(reverse("rates:cell", args=[classique.product_id, friday.isoformat()]))
    text = history.content.decode()
    assert (boss.get_full_name() or boss.username) in text
    assert money((old_list / 2).quantize(Decimal("0.01"))) in text  # before → after
    # what changed, in words: the field and the plan's name, not their codes
    entry = AuditEntry.objects.filter(data__field="price").latest("pk")
    plan = RatePlan.objects.get(property=hotel, code=entry.data["rate_plan"])
    assert f" · {plan.name}</td>" in text and f"price · {plan.code}" not in text


def test_a_stop_sell_on_airbnb_hides_the_day_from_the_airbnb_feed_only(
    client, boss, hotel, room_type, django_capture_on_commit_callbacks
):
    classique = room_type("classique")
    airbnb = feed_create(property=hotel, channel_name="Airbnb", room_type=classique)
    other = feed_create(property=hotel, channel_name="Vrbo", room_type=classique)
    target = hotel.business_date() + timedelta(days=20)

    def feed_days(feed):
        body = client.get(reverse("channels_sync:feed_ics", kwargs={"token": feed.token})).content
        cal = icalendar.Calendar.from_ical(body)
        return [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in cal.walk("VEVENT")]

    assert feed_days(airbnb) == []  # warm the cached body
    with django_capture_on_commit_callbacks(execute=True):
        response = bulk(
            client,
            start=target.isoformat(),
            end=target.isoformat(),
            weekdays=[str(i) for i in range(7)],
            products=[str(classique.product_id)],
            stop_channel="ota:airbnb",
            stop="close",
        )
    assert response.status_code == 302
    assert feed_days(airbnb) == [(target, target + timedelta(days=1))]
    assert feed_days(other) == []
    # the booking engine still sells it (only Airbnb's calendar is closed)
    stay = {
        "arrival": target.isoformat(),
        "departure": (target + timedelta(days=1)).isoformat(),
        "adults": 2,
        "lang": "en",
    }
    offers = client.get(f"/book/{hotel.slug}/", stay).context["offers"]
    assert "classique" in {o.room_type.code for o in offers}
    # the calendar shows the closed day; opening it again empties the feed
    cell = client.get(reverse("rates:calendar"), {"start": target.isoformat(), "days": 1})
    assert "Closed: Airbnb" in cell.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        bulk(
            client,
            start=target.isoformat(),
            end=target.isoformat(),
            weekdays=[str(i) for i in range(7)],
            products=[str(classique.product_id)],
            stop_channel="ota:airbnb",
            stop="open",
        )
    assert feed_days(airbnb) == []


def test_a_stop_sell_on_the_booking_engine_closes_the_day_there(client, boss, hotel, room_type):
    classique = room_type("classique")
    target = hotel.business_date() + timedelta(days=15)
    bulk(
        client,
        start=target.isoformat(),
        end=target.isoformat(),
        weekdays=[str(i) for i in range(7)],
        products=[str(classique.product_id)],
        stop_channel="booking_engine:",
        stop="close",
    )
    stay = {
        "arrival": target.isoformat(),
        "departure": (target + timedelta(days=1)).isoformat(),
        "adults": 2,
        "lang": "en",
    }
    offers = client.get(f"/book/{hotel.slug}/", stay).context["offers"]
    assert "classique" not in {o.room_type.code for o in offers}


def test_min_stay_and_closed_to_arrival_set_from_the_calendar_refuse_a_booking(
    client, boss, hotel, room_type, guest
):
    from pms.exceptions import RestrictionViolated
    from pms.services import RoomRequest, reservation_create

    classique = room_type("classique")
    first = hotel.business_date() + timedelta(days=30)
    response = bulk(
        client,
        start=first.isoformat(),
        end=(first + timedelta(days=6)).isoformat(),
        weekdays=[str(i) for i in range(7)],
        products=[str(classique.product_id)],
        min_stay="3",
        arrival="yes",
    )
    assert response.status_code == 302
    assert Restriction.objects.filter(room_type=classique, min_stay=3).count() == 7
    with pytest.raises(RestrictionViolated):
        reservation_create(
            property=hotel,
            guest=guest,
            arrival=first + timedelta(days=1),
            departure=first + timedelta(days=5),
            rooms=[RoomRequest(room_type_id=classique.pk)],
            channel=Channel.FRONT_DESK,
        )
    page = client.get(reverse("rates:calendar"), {"start": first.isoformat(), "days": 2})
    html = page.content.decode()
    assert "min 3 nights" in html and "CTA" in html


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"change": "set", "value": "-5"}, "set_price", "A price cannot be negative."),
        ({"min_stay": "0"}, "min_stay", "A minimum stay is at least 1 night."),
        (
            {"change": "percent", "value": "10", "weekdays": []},
            "weekdays",
            "Choose at least one day of the week.",
        ),
        ({"change": "percent", "value": "dix"}, "value", "Enter a number."),
        ({"change": "amount", "value": "-1000"}, "amount", "would cost less than nothing"),
        ({"end": "2000-01-01"}, "end", "The last day is before the first day."),
        ({}, "change", "Nothing to change."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(
    client, boss, hotel, room_type, fields, field, message
):
    classique = room_type("classique")
    web = RatePlan.objects.get(property=hotel, code="web")
    start = hotel.business_date() + timedelta(days=3)
    body = {
        "start": start.isoformat(),
        "end": (start + timedelta(days=6)).isoformat(),
        "weekdays": [str(i) for i in range(7)],
        "products": [str(classique.product_id)],
        "rate_plan": str(web.pk),
        **fields,
    }
    audits = AuditEntry.objects.count()
    response = bulk(client, **body)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert f'data-field="{field}"' in html
    assert not DailyRate.objects.exists()
    assert not Restriction.objects.exists()
    assert AuditEntry.objects.count() == audits


def test_errors_are_translated_into_french(client, boss, hotel, room_type):
    client.cookies["django_language"] = "fr"
    classique = room_type("classique")
    start = hotel.business_date() + timedelta(days=3)
    response = bulk(
        client,
        start=start.isoformat(),
        end=start.isoformat(),
        weekdays=[],
        products=[str(classique.product_id)],
        min_stay="2",
    )
    assert response.status_code == 422
    assert "Choisissez au moins un jour de la semaine." in response.content.decode()


def test_a_bulk_edit_that_fails_halfway_saves_nothing(client, boss, hotel, room_type):
    # a valid price change with an invalid minimum stay: the price is not saved either
    classique = room_type("classique")
    web = RatePlan.objects.get(property=hotel, code="web")
    start = hotel.business_date() + timedelta(days=3)
    response = bulk(
        client,
        start=start.isoformat(),
        end=(start + timedelta(days=6)).isoformat(),
        weekdays=[str(i) for i in range(7)],
        products=[str(classique.product_id)],
        rate_plan=str(web.pk),
        change="percent",
        value="10",
        min_stay="0",
    )
    assert response.status_code == 422
    assert not DailyRate.objects.exists()


def test_overlapping_seasons_are_refused_and_a_free_period_is_added(client, boss, hotel):
    haute = Season.objects.get(property=hotel, code="haute")
    basse = Season.objects.get(property=hotel, code="basse")
    year = next_july(hotel).year
    periods = SeasonPeriod.objects.count()
    response = client.post(
        reverse("rates:seasons"),
        {
            "action": "period",
            "season": basse.pk,
            "start": f"{year}-08-15",
            "end": f"{year}-08-20",
        },
    )
    assert response.status_code == 422
    assert "overlap" in response.content.decode() and haute.name in response.content.decode()
    assert SeasonPeriod.objects.count() == periods

    client.post(reverse("rates:seasons"), {"action": "create", "code": "fete", "name": "Fête"})
    fete = Season.objects.get(property=hotel, code="fete")
    SeasonPeriod.objects.filter(season=haute, start__year=year).delete()
    response = client.post(
        reverse("rates:seasons"),
        {"action": "period", "season": fete.pk, "start": f"{year}-08-15", "end": f"{year}-08-20"},
    )
    assert response.status_code == 302
    period = SeasonPeriod.objects.get(season=fete)
    assert period.end == date(year, 8, 21)  # the last day typed is included
    assert "Fête" in client.get(reverse("rates:seasons")).content.decode()


def test_capacity_rules_on_screen(client, boss, hotel, catalog):
    spa = CapacityPool.objects.filter(property=hotel, kind=CapacityPool.Kind.SLOT).first()
    response = client.post(
        reverse("rates:pool_edit", args=[spa.pk]),
        {
            "default_capacity": "3",
            "hold_back_onsite": "1",
            "online_close_at_sold": "2",
            "slot_times": "10:00, 14:30",
        },
    )
    assert response.status_code == 302
    spa.refresh_from_db()
    assert (spa.default_capacity, spa.hold_back_onsite, spa.online_close_at_sold) == (3, 1, 2)
    assert spa.slot_times == ["10:00", "14:30"]
    assert AuditEntry.objects.filter(action="inventory.pool.rules_changed").exists()

    response = client.post(
        reverse("rates:pool_edit", args=[spa.pk]),
        {"default_capacity": "3", "hold_back_onsite": "5", "slot_times": "10:00"},
    )
    assert response.status_code == 422
    assert "more units than the capacity" in response.content.decode()
    spa.refresh_from_db()
    assert spa.hold_back_onsite == 1


def test_the_calendar_of_60_room_types_over_31_days_takes_a_constant_number_of_queries(
    client, boss, hotel
):
    def add_room_types(n, start):
        for i in range(start, start + n):
            pool = CapacityPool.objects.create(
                property=hotel,
                code=f"p{i}",
                name=f"P{i}",
                kind=CapacityPool.Kind.NIGHT,
                default_capacity=3,
            )
            product = Product.objects.create(
                property=hotel,
                code=f"n{i}",
                name_fr=f"Nuit {i}",
                price=Decimal("90.00"),
                vat_rate=Decimal("10.00"),
                revenue_category=RevenueCategory.ACCOMMODATION,
                capacity_pool=pool,
            )
            RoomType.objects.create(property=hotel, code=f"t{i}", name_fr=f"T{i}", product=product)

    def count():
        client.get(reverse("rates:calendar"), {"days": 31})  # the session's first reads
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("rates:calendar"), {"days": 31})
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    add_room_types(5, 0)
    small, _ = count()
    add_room_types(55, 5)
    Restriction.objects.create(
        property=hotel, room_type=RoomType.objects.last(), day=hotel.business_date(), min_stay=2
    )
    StopSell.objects.create(
        pool=CapacityPool.objects.last(),
        channel=Channel.OTA,
        start=hotel.business_date(),
        end=hotel.business_date() + timedelta(days=2),
    )
    large, response = count()
    assert large == small
    assert len(response.context["grid"].rows) >= 60
    assert len(response.context["grid"].days) == 31


def test_a_bulk_edit_of_a_month_is_one_transaction_with_bulk_writes(client, boss, hotel, room_type):
    classique = room_type("classique")
    web = RatePlan.objects.get(property=hotel, code="web")
    july = next_july(hotel)
    client.get(reverse("rates:calendar"))  # warm the caches of the session
    with CaptureQueriesContext(connection) as ctx:
        response = bulk(
            client,
            start=july.isoformat(),
            end=date(july.year, 7, 31).isoformat(),
            weekdays=[str(i) for i in range(7)],
            products=[str(classique.product_id)],
            rate_plan=str(web.pk),
            change="set",
            value="150",
        )
    assert response.status_code == 302
    assert DailyRate.objects.filter(product=classique.product).count() == 31
    writes = [q["sql"] for q in ctx.captured_queries if "inventory_dailyrate" in q["sql"].lower()]
    inserts = [sql for sql in writes if sql.upper().startswith("INSERT")]
    assert len(inserts) == 1  # one bulk upsert for the month
    savepoints = [q for q in ctx.captured_queries if q["sql"].upper().startswith("SAVEPOINT")]
    begins = [q for q in ctx.captured_queries if "BEGIN" in q["sql"].upper()]
    assert len(begins) <= 1 and len(savepoints) <= 3
