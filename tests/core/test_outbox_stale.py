"""The outbox sweep hands back a message whose worker died, but only once the task has had
its own time: a year's export (an hour) is not sent twice after the e-mail default of 15
minutes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboxMessage
from core.outbox import STALE_RUNNING_AFTER, outbox_dispatch_pending
from tests.worker import broker_down


@pytest.mark.django_db
def test_a_claim_is_stale_only_after_the_messages_own_time():
    claimed = timezone.now() - timedelta(minutes=20)
    short = OutboxMessage.objects.create(
        task="pms.tasks.booking_emails_task", status="running", claimed_at=claimed
    )
    long = OutboxMessage.objects.create(
        task="billing.tasks.export_job_task",
        status="running",
        claimed_at=claimed,
        stale_after=timedelta(hours=1, minutes=5),
    )
    assert short.stale_after == STALE_RUNNING_AFTER

    with broker_down():
        outbox_dispatch_pending()

    short.refresh_from_db()
    long.refresh_from_db()
    # the e-mail's worker is presumed dead: back to pending (the broker being down, it
    # waits there with the error kept); the export is still within its hour
    assert short.status == "pending" and short.last_error.startswith("publish:")
    assert long.status == "running" and long.last_error == ""
