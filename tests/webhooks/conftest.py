from tests.pms.conftest import day, room_type, rooms, today  # noqa: F401
from tests.pos.conftest import cashier, terminal  # noqa: F401
