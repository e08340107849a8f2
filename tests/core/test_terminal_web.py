"""A terminal session on a real gunicorn (127.0.0.1): a manager's PIN on a bound till opens
the till's screens and nothing of the back office, the exports, the staff screen or the
admin; the same manager's password (and, for the admin, the second factor) does; the
session ends after inactivity; one device trying PINs for everyone is locked."""

import re
import time
from datetime import date

import pytest
from django.core import signing
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import Role
from core.terminals import COOKIE, SALT
from tests.factories.core import make_staff
from tests.factories.pos import make_terminal
from tests.server import running_gunicorn

PASSWORD = "pw-secret-123"
TODAY = date.today().isoformat()
BACK_OFFICE = [
    "/admin/",
    "/staff/",
    "/billing/accounting/",
    f"/billing/accounting/export/fec/?start={TODAY}&end={TODAY}",
    "/channels/connections/",
]


def _csrf(browser, url: str) -> str:
    page = browser.get(url)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def _till(server, terminal):
    browser = server.session()
    cookie = signing.dumps(
        {
            "property_id": terminal.property_id,
            "terminal_id": terminal.pk,
            "label": "Bar · Caisse 1",
            "device": f"device-{time.monotonic_ns()}",
        },
        salt=SALT,
    )
    browser.cookies.set(COOKIE, cookie)
    return browser


def _pin(server, browser, user, code: str):
    token = _csrf(browser, f"{server.url}/pin/")
    return browser.post(
        f"{server.url}/pin/",
        data={"user_id": user.pk, "pin": code, "csrfmiddlewaretoken": token},
        allow_redirects=False,
    )


def _password(server, browser, username: str, next_url: str = "/"):
    token = _csrf(browser, f"{server.url}/login/?next={next_url}")
    return browser.post(
        f"{server.url}/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "next": next_url,
            "csrfmiddlewaretoken": token,
        },
        allow_redirects=False,
    )


@pytest.mark.django_db(transaction=True)
def test_a_pin_session_on_gunicorn_stays_on_the_terminal(hotel, tmp_path):
    from inventory import demo

    demo.seed({"property": hotel})
    terminal = make_terminal(hotel)
    boss = make_staff(hotel, Role.MANAGER, username="boss", pin="654321")
    boss.is_staff = True  # admin access: the admin also asks for the second factor
    boss.save()
    root = make_staff(hotel, Role.MANAGER, username="root", pin="123456")
    root.is_superuser = root.is_staff = True
    root.save()
    staff = [
        make_staff(hotel, Role.WAITER, username=f"w{n}", pin=f"{n}{n}{n}{n}") for n in range(8)
    ]
    with running_gunicorn(tmp_path, PIN_SESSION_IDLE_SECONDS="4") as server:
        # given: the manager switches in with their PIN on the bar's till
        till = _till(server, terminal)
        assert _pin(server, till, boss, "654321").status_code == 302
        assert till.get(f"{server.url}/pos/counter/", allow_redirects=False).status_code == 200
        # then: every back-office screen asks for the password, none opens
        for path in BACK_OFFICE:
            response = till.get(f"{server.url}{path}", allow_redirects=False)
            assert response.status_code == 403, path
            assert "Sign in with your password" in response.text, path

        # when: the same manager signs in with the password on the same device
        assert _password(server, till, "boss", "/staff/").status_code == 302
        for path in BACK_OFFICE[1:]:
            assert till.get(f"{server.url}{path}", allow_redirects=False).status_code == 200, path
        # and the admin asks for the second factor, then opens
        admin = till.get(f"{server.url}/admin/", allow_redirects=False)
        assert admin.headers["Location"] == "/account/two-factor/setup/?next=/admin/"
        till.get(f"{server.url}/account/two-factor/setup/")
        device = TOTPDevice.objects.get(user=boss)
        code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6):06d}"
        token = _csrf(till, f"{server.url}/account/two-factor/setup/")
        till.post(
            f"{server.url}/account/two-factor/setup/",
            data={"token": code, "next": "/admin/", "csrfmiddlewaretoken": token},
        )
        assert till.get(f"{server.url}/admin/", allow_redirects=False).status_code == 200

        # inactivity: a waiter's PIN session, untouched for longer than the setting
        tablet = _till(server, terminal)
        assert _pin(server, tablet, staff[0], "0000").status_code == 302
        assert tablet.get(f"{server.url}/pos/counter/", allow_redirects=False).status_code == 200
        time.sleep(4.5)
        expired = tablet.get(f"{server.url}/pos/counter/", allow_redirects=False)
        assert expired.status_code == 302
        assert expired.headers["Location"] == "/pin/?next=/pos/counter/"
        again = tablet.get(f"{server.url}/pos/counter/", allow_redirects=False)
        assert again.headers["Location"].startswith("/login/")  # signed out

        # throttle per device: 40 wrong PINs across 8 people from one device
        attacker = _till(server, terminal)
        token = _csrf(attacker, f"{server.url}/pin/")
        statuses = [
            attacker.post(
                f"{server.url}/pin/",
                data={"user_id": person.pk, "pin": "9876", "csrfmiddlewaretoken": token},
                allow_redirects=False,
            ).status_code
            for person in staff
            for _ in range(5)
        ]
        # each person locks after 5, the device after 10: the 6 others are never tried
        assert statuses[:10] == ([403] * 4 + [429]) * 2 and statuses[10:] == [429] * 30
        locked = _pin(server, attacker, staff[7], "7777")  # the right PIN, still refused
        assert locked.status_code == 429 and "Try again in 5 minutes" in locked.text
        # and the superuser never shows on the PIN list, whatever their role here
        listed = re.findall(r'name="user_id" value="(\d+)"', tablet.get(f"{server.url}/pin/").text)
        assert str(boss.pk) in listed and str(root.pk) not in listed
