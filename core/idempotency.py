"""The idempotency claim shared by the API (`core.api.idempotent_response`) and the screens
(a double tap on "Book" books once): one `INSERT … ON CONFLICT DO NOTHING` on
(scope, key) that commits with the write it guards."""

from django.db import connection
from django.utils import timezone

from core.models import IdempotencyRecord


def idempotency_claim(*, scope: str, key: str, fingerprint: str = "") -> int | None:
    """Insert the record unless (scope, key) exists: its id, or None if already taken. Run it
    inside the guarded write's transaction: a failed write leaves no record behind."""
    q = connection.ops.quote_name
    sql = (
        f"INSERT INTO {q(IdempotencyRecord._meta.db_table)} "  # noqa: S608 (names, not input)
        f"({q('scope')}, {q('key')}, {q('request_fingerprint')}, {q('created_at')}) "
        f"VALUES (%s, %s, %s, %s) ON CONFLICT ({q('scope')}, {q('key')}) DO NOTHING "
        f"RETURNING {q('id')}"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [scope, key[:200], fingerprint, now])
        row = cursor.fetchone()
    return row[0] if row else None


def idempotency_store(*, record_id: int, response: dict, status_code: int = 200) -> None:
    """Keep the first result, for a replay to return it: one UPDATE of the claimed row (the
    JSON adapted by the field itself, so PostgreSQL's jsonb and SQLite's text both read it
    back through the model)."""
    q = connection.ops.quote_name
    field = IdempotencyRecord._meta.get_field("response")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(IdempotencyRecord._meta.db_table)} "  # noqa: S608 (names, not input)
            f"SET {q('status_code')} = %s, {q('response')} = %s WHERE {q('id')} = %s",
            [status_code, field.get_db_prep_value(response, connection), record_id],
        )


def idempotency_result(*, scope: str, key: str) -> dict | None:
    """The stored first result of (scope, key), None when there is none."""
    record = IdempotencyRecord.objects.filter(scope=scope, key=key[:200]).first()
    return record.response if record is not None else None
