"""Reporting's reads on a PostgreSQL streaming replica (`DATABASE_REPLICA_URL`).

A year's dashboard or financial report scans many rows; on a replica it takes nothing from the
primary that sells. Only the code that asks for it reads there: `replica_reads()` wraps the
read-only part of a reporting view (never a write, never a lock), and the router sends reads
made inside it to the `replica` alias. Writes always go to the primary.

Read-your-writes: a dashboard refreshes its daily facts on the primary just before it reads
them. `replica_reads()` first takes the primary's WAL position and waits, briefly, for the
replica to have replayed it; a replica that lags further, or is down, is skipped and the
primary answers (the page is never older than what it just wrote, and never fails for the
replica's sake)."""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
_reading: ContextVar[bool] = ContextVar("reporting_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _replica_caught_up(wait_seconds: float) -> bool:
    """Has the replica replayed everything the primary has written so far? Polls for up to
    `wait_seconds` (streaming replication replays in milliseconds)."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            target = cursor.fetchone()[0]
        deadline = time.monotonic() + wait_seconds
        with connections[REPLICA].cursor() as cursor:
            while True:
                cursor.execute(
                    "SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= %s::pg_lsn",
                    [target],
                )
                if cursor.fetchone()[0]:
                    return True
                if time.monotonic() >= deadline:
                    logger.warning("reporting replica lags behind %s: reading the primary", target)
                    return False
                time.sleep(0.01)
    except DatabaseError:
        logger.warning("reporting replica unreachable: reading the primary", exc_info=True)
        connections[REPLICA].close()
        return False


@contextmanager
def replica_reads(*, wait_seconds: float | None = None) -> Iterator[bool]:
    """Reads inside go to the replica when one is configured and caught up; yields whether
    they do. Without `DATABASE_REPLICA_URL` it changes nothing."""
    if wait_seconds is None:
        wait_seconds = settings.DATABASE_REPLICA_MAX_WAIT
    use = replica_configured() and _replica_caught_up(wait_seconds)
    token = _reading.set(use)
    try:
        yield use
    finally:
        _reading.reset(token)


class ReplicaRouter:
    """Reads inside `replica_reads()` on the replica; everything else on the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        return REPLICA if _reading.get() else None

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # the replica is a copy of the primary: rows from either relate
        return True

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == "default"
