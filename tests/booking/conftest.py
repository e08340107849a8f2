from tests.pms.conftest import day, guest, room, room_type, rooms, today  # noqa: F401
