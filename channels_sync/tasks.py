from celery import shared_task

from channels_sync.models import ChannelConnection
from channels_sync.services.imports import connection_pull, connections_due


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def connection_pull_task(connection_id: int, outbox_id: int | None = None) -> str:
    """Pull one OTA calendar (a bad feed is recorded, never raised). "Sync now" publishes it
    through the outbox (`outbox_id`): the pull survives a broker down at click time."""
    from core.outbox import outbox_run

    def pull() -> str:
        connection = (
            ChannelConnection.objects.select_related("property")
            .filter(pk=connection_id, is_active=True)
            .first()
        )
        if connection is None:
            return "gone"
        return connection_pull(connection=connection).status

    return outbox_run(outbox_id, pull) or "already done"


@shared_task
def connections_pull_due_task() -> int:
    """Beat: queue a pull for every connection whose next pull is due."""
    ids = list(connections_due().values_list("pk", flat=True))
    for pk in ids:
        connection_pull_task.delay(pk)
    return len(ids)
