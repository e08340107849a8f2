"""A manager's approval typed on a POS screen counts against the device's PIN throttle too:
a tablet cannot try four PINs for each manager in turn."""

import pytest

from core.models import Role
from tests.factories.core import make_staff
from tests.pos.screens.test_waiter import sent_line

pytestmark = pytest.mark.django_db


def test_wrong_approval_pins_across_managers_lock_the_device(tablet, tables, product, hotel):
    managers = [
        make_staff(hotel, Role.MANAGER, username=f"boss{n}", pin=f"{n}{n}{n}{n}{n}{n}")
        for n in range(1, 4)
    ]
    tab, line = sent_line(tablet, tables, product)
    url = f"/pos/tabs/{tab.pk}/lines/{line.pk}/void/"
    # given: 4 wrong PINs for each of 3 managers (under each person's limit of 5)
    for boss in managers:
        for _ in range(4):
            tablet.post(url, {"reason": "Cold", "approver": boss.pk, "pin": "987654"})
    # when: the third manager's right PIN
    response = tablet.post(
        url, {"reason": "Cold", "approver": managers[2].pk, "pin": "333333"}, follow=True
    )
    # then: the device is over its limit: refused with the wait, nothing voided
    assert "Too many wrong PINs. Try again in 5 minutes" in response.content.decode()
    line.refresh_from_db()
    assert line.voided_at is None
