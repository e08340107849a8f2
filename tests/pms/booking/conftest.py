from tests.worker import celery_worker  # noqa: F401
