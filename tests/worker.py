"""A real Celery worker thread on the test broker (Redis), for tests of the task path."""

import socket
from contextlib import contextmanager

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


@contextmanager
def running_worker(purge: bool = True):
    """A solo worker thread on the app's current broker."""
    reset_broker_pools()
    if purge:
        app.control.purge()  # messages left in the test broker by an interrupted run
    signals.task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING") as worker:
            yield worker
    finally:
        signals.task_postrun.disconnect(_close_worker_connections)


@contextmanager
def broker_down():
    """Point the Celery broker at a closed port on 127.0.0.1 (nothing listens there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    original = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
    reset_broker_pools()
    try:
        yield
    finally:
        app.conf.broker_url = original
        reset_broker_pools()


@pytest.fixture
def celery_worker():
    with running_worker() as worker:
        yield worker
