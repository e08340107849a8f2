from tests.pms.conftest import day, guest, room, room_type, rooms, today  # noqa: F401
from tests.worker import celery_worker  # noqa: F401
