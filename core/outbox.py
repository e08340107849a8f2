"""Transactional outbox: tasks that must leave after commit even if the broker is down then.

`outbox_enqueue` writes an OutboxMessage in the caller's transaction and tries to publish the
task on commit, by name (`send_task`: the web processes need not import the task); a broker
error is logged, never raised (the guest's booking stands, the page renders). The beat sweep
`outbox_dispatch_pending` publishes what is still pending. The task runs its work through
`outbox_run`, which claims the row first: a message published twice (on commit and by the
sweep) runs once.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, Value
from django.utils import timezone

from core.models import OutboxMessage, Property

logger = logging.getLogger(__name__)
T = TypeVar("T")

REDISPATCH_AFTER = timedelta(minutes=2)  # a published message not run by then is sent again
STALE_RUNNING_AFTER = timedelta(minutes=15)  # a worker that died mid-task (the default)
MAX_ATTEMPTS = 10
# fail fast when the broker is down: the sweep will publish it later
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1}


def outbox_enqueue(
    *,
    task: str,
    kwargs: dict,
    property: Property | None = None,
    stale_after: timedelta = STALE_RUNNING_AFTER,
) -> OutboxMessage:
    """Record `task(**kwargs, outbox_id=...)` in the current transaction; publish after commit.
    `stale_after` is the longest the task may run: a claim older than that is a dead worker's,
    and the sweep sends the message again (give long tasks their time limit, not the default)."""
    message = OutboxMessage.objects.create(
        property=property, task=task, kwargs=kwargs, stale_after=stale_after
    )
    transaction.on_commit(lambda: outbox_publish(message_id=message.pk))
    return message


def outbox_enqueue_many(
    *,
    task: str,
    messages: list[tuple[dict, Property | None]],
    stale_after: timedelta = STALE_RUNNING_AFTER,
) -> list[OutboxMessage]:
    """`outbox_enqueue` for several (kwargs, property) of one task in one INSERT: a business
    operation that tells many receivers costs the same statements as one that tells one."""
    rows = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(property=prop, task=task, kwargs=kwargs, stale_after=stale_after)
            for kwargs, prop in messages
        ]
    )
    for row in rows:
        transaction.on_commit(lambda pk=row.pk: outbox_publish(message_id=pk))
    return rows


def outbox_publish(*, message_id: int) -> bool:
    """Publish one pending message to the broker. False (logged) when the broker is down."""
    from celery import current_app

    message = OutboxMessage.objects.filter(pk=message_id, status="pending").first()
    if message is None:
        return False
    kwargs = {**message.kwargs, "outbox_id": message.pk}
    try:
        if current_app.conf.task_always_eager:
            # in-process (tests, a demo without a worker): the task must be imported here
            current_app.loader.import_default_modules()
            current_app.tasks[message.task].apply_async(kwargs=kwargs)
        else:
            # by name through the broker: the web processes never import the tasks modules,
            # the worker that runs the task has it registered
            current_app.send_task(
                message.task, kwargs=kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY
            )
    except Exception as exc:  # noqa: BLE001 - any broker failure: the sweep publishes it later
        logger.warning("outbox message %s not published (%s): will retry", message_id, exc)
        OutboxMessage.objects.filter(pk=message_id).update(last_error=f"publish: {exc}"[:2000])
        return False
    OutboxMessage.objects.filter(pk=message_id).update(dispatched_at=timezone.now())
    return True


def outbox_claim(*, message_id: int, now: datetime | None = None) -> bool:
    """Take a pending message for this run (one atomic UPDATE): False when it already ran,
    is running elsewhere or gave up."""
    now = now or timezone.now()
    return bool(
        OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.PENDING).update(
            status=OutboxMessage.Status.RUNNING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def outbox_run(outbox_id: int | None, work: Callable[[], T]) -> T | None:
    """Run `work` once for an outbox message: claim, run, mark done. A failure hands the
    message back (pending, error kept) and re-raises so Celery's retry applies."""
    if outbox_id is None:
        return work()
    if not outbox_claim(message_id=outbox_id):
        return None
    try:
        result = work()
    except Exception as exc:
        message = OutboxMessage.objects.get(pk=outbox_id)
        message.status = (
            OutboxMessage.Status.FAILED
            if message.attempts >= MAX_ATTEMPTS
            else OutboxMessage.Status.PENDING
        )
        message.last_error = repr(exc)[:2000]
        message.save(update_fields=["status", "last_error"])
        raise
    OutboxMessage.objects.filter(pk=outbox_id).update(
        status=OutboxMessage.Status.DONE, done_at=timezone.now(), last_error=""
    )
    return result


def outbox_dispatch_pending(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat: publish the messages the broker missed (never published, or published long ago
    and not run) and hand back those left running by a dead worker. Returns how many."""
    now = now or timezone.now()
    OutboxMessage.objects.filter(
        status=OutboxMessage.Status.RUNNING,
        claimed_at__lt=ExpressionWrapper(
            Value(now) - F("stale_after"), output_field=DateTimeField()
        ),
    ).update(status=OutboxMessage.Status.PENDING)
    due = (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(outbox_publish(message_id=pk) for pk in list(due))
