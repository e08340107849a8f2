"""Every row lock of the pos app. Order: Order → (inventory) Promotion → CapacityBucket →
(billing) NumberSequence. Evaluated on purpose: a lazy select_for_update takes no lock."""

from django.db import connection

from pos.models import Order


def order_for_update(*, order_id: int) -> Order | None:
    """The order row, locked until commit (refunds serialise on it)."""
    return (
        Order.objects.filter(pk=order_id)
        .select_related("ticket", "ticket__folio", "property", "terminal")
        .select_for_update(of=("self",))
        .first()
    )


def pickup_slot_for_update(*, outlet, starts_at, capacity: int):
    """An outlet's pickup slot (made at `capacity` when nobody took it yet), locked until
    commit: the orders holding it are counted under this lock, so two phones taking the last
    place are served one after the other. Made through the unique constraint, never twice."""
    from pos.models import PickupSlot

    PickupSlot.objects.get_or_create(
        outlet=outlet,
        starts_at=starts_at,
        defaults={"property_id": outlet.property_id, "capacity": capacity},
    )
    return PickupSlot.objects.select_for_update().get(outlet=outlet, starts_at=starts_at)


def order_id_take() -> int:
    """The id the sale's order will be inserted with, taken before the sale writes what names
    it ("pos.order:<id>": capacity allocations, stock movements, gift-card and loyalty
    movements, a tab's part), so that the order row itself is written once, complete, after
    its ticket. PostgreSQL: the next value of the table's own sequence (never given twice,
    a rolled-back sale leaves a gap in ids, as any insert does). SQLite: one writer at a time
    (IMMEDIATE transactions), so the id after the largest ever given (AUTOINCREMENT keeps it
    in sqlite_sequence), which the order's INSERT then takes."""
    table = Order._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
        else:
            sql = (
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"  # noqa: S608
                f" COALESCE((SELECT MAX(id) FROM {table}), 0)) + 1"
            )
            cursor.execute(sql, [table])
        return cursor.fetchone()[0]
