"""The broker's Redis transport (core/kombu_redis.py): one client per pool, and every message
still reaches the queue, also after the pool is replaced (a fork, a reconnection)."""

import json

from config.celery import app
from core.kombu_redis import Channel


def _queued(channel, queue: str) -> list[dict]:
    raw = channel.client.lrange(queue, 0, -1)
    return [json.loads(item)["headers"]["kwargsrepr"] for item in raw]


def test_publishes_share_one_client_and_all_reach_the_queue():
    queue = "auberge-test-kombu-client"
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        assert isinstance(channel, Channel)
        channel.client.delete(queue)
        first = channel._create_client()
        for n in range(3):
            app.send_task("auberge.test.noop", kwargs={"n": n}, queue=queue, connection=conn)
        assert channel._create_client() is first
        assert _queued(channel, queue)[::-1] == ["{'n': 0}", "{'n': 1}", "{'n': 2}"]

        # what a fork does (kombu drops the pools): the next publish takes a client of the
        # new pool, and its message is queued too
        channel._disconnect_pools()
        app.send_task("auberge.test.noop", kwargs={"n": 3}, queue=queue, connection=conn)
        second = channel._create_client()
        assert second is not first
        assert second.connection_pool is channel.pool
        assert len(_queued(channel, queue)) == 4
        channel.client.delete(queue)
