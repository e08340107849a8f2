""" "Sync now" clicked while the broker is down: no error, and the pull happens once the broker
is back, through the outbox sweep and a real worker."""

import time

import pytest

from channels_sync.models import ChannelPull
from core.models import OutboxMessage
from core.tasks import outbox_dispatch_task
from tests.channels_sync.feeds import airbnb, airbnb_reserved
from tests.worker import broker_down, running_worker


@pytest.mark.django_db(transaction=True)
def test_sync_now_survives_a_broker_outage(client, manager, room, day, feed_server, connect):
    url = feed_server.serve("/a.ics", airbnb(airbnb_reserved("a", day(1), day(2))))
    connection = connect(room("101"), url)
    client.force_login(manager)

    with broker_down():
        response = client.post(f"/channels/connections/{connection.pk}/sync/", follow=True)

    assert response.status_code == 200
    assert "Synchronisation queued." in response.content.decode()
    message = OutboxMessage.objects.get(task="channels_sync.tasks.connection_pull_task")
    assert message.status == "pending" and feed_server.hits == []

    with running_worker():
        outbox_dispatch_task.delay()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not ChannelPull.objects.exists():
            time.sleep(0.2)
        while time.monotonic() < deadline and (
            OutboxMessage.objects.get(pk=message.pk).status != "done"
        ):
            time.sleep(0.2)

    pull = ChannelPull.objects.get(connection=connection)
    assert (pull.status, pull.added) == ("ok", 1)
    assert feed_server.hits == ["/a.ics"]
    assert OutboxMessage.objects.get(pk=message.pk).status == "done"
