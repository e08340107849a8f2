"""Availability of 50 products/room types over 365 days for one channel, through the API
under gunicorn + PostgreSQL, beside the trivial /livez endpoint as the floor (issue #3)."""

from datetime import date

from benchmarks import harness


def prepare() -> tuple[str, str, list[str]]:
    harness.reset_database()
    harness.manage("seed_demo")
    harness.setup_django()
    from rest_framework.authtoken.models import Token

    from core.models import Property, Role
    from inventory.models import CapacityPool, Product, RevenueCategory
    from tests.factories.core import make_staff

    hotel = Property.objects.get(slug="les-pins")
    codes = list(
        Product.objects.filter(property=hotel, capacity_pool__isnull=False).values_list(
            "code", flat=True
        )
    )
    # up to 50 capacity products: extra day-pass and slot products on their own pools
    for i in range(50 - len(codes)):
        pool = CapacityPool.objects.update_or_create(
            property=hotel,
            code=f"bench-pool-{i}",
            defaults={
                "name": f"Activité {i}",
                "kind": CapacityPool.Kind.DAY,
                "default_capacity": 20,
            },
        )[0]
        Product.objects.update_or_create(
            property=hotel,
            code=f"bench-activite-{i}",
            defaults={
                "name_fr": f"Activité {i}",
                "price": "25.00",
                "vat_rate": "20.00",
                "revenue_category": RevenueCategory.SERVICES,
                "capacity_pool": pool,
            },
        )
        codes.append(f"bench-activite-{i}")
    user = make_staff(hotel, Role.FRONT_DESK, username="bench-desk")
    token = Token.objects.get_or_create(user=user)[0].key
    return hotel.slug, token, codes[:50]


def main() -> None:
    slug, token, codes = prepare()
    headers = {"Authorization": f"Token {token}"}
    start = date.today()
    path = (
        f"/api/v1/properties/{slug}/products/availability?products={','.join(codes)}"
        f"&start={start}&end={start.replace(year=start.year + 1)}&channel=booking_engine"
    )
    with harness.gunicorn(workers=2) as port:
        floor = harness.load(
            port, concurrency=8, duration=8, request=lambda c, i: harness.get_json(c, "/livez", {})
        )
        serial = harness.load(
            port,
            concurrency=1,
            duration=10,
            request=lambda c, i: harness.get_json(c, path, headers),
        )
        loaded = harness.load(
            port,
            concurrency=4,
            duration=10,
            request=lambda c, i: harness.get_json(c, path, headers),
        )
    harness.write_results(
        "availability",
        {
            "products": len(codes),
            "days": 365,
            "floor_livez": floor,
            "single_client": serial,
            "four_clients": loaded,
        },
        [
            (
                "trivial /livez, 8 clients (floor)",
                f"{floor['per_second']} req/s, p50 {floor['p50_ms']} ms",
                "—",
            ),
            (
                f"availability {len(codes)} products × 365 days, 1 client, p50",
                f"{serial['p50_ms']} ms (p99 {serial['p99_ms']} ms)",
                "p50 < 50 ms",
            ),
            ("same, 4 clients", f"{loaded['per_second']} req/s, p50 {loaded['p50_ms']} ms", "—"),
        ],
    )
