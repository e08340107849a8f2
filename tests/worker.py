"""A real Celery worker thread on the test broker (Redis), for tests of the task path."""

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.db import connections
from kombu import pools

from config.celery import app


def _close_worker_connections(**kwargs):
    # the worker thread opens its own database connections: close them after each task so
    # the test database can be flushed and dropped
    connections.close_all()


def reset_broker_pools() -> None:
    """Fresh connection and producer pools (after a test changed or broke the broker)."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_worker():
    reset_broker_pools()
    app.control.purge()  # messages left in the test broker by an interrupted run
    signals.task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING") as worker:
            yield worker
    finally:
        signals.task_postrun.disconnect(_close_worker_connections)
