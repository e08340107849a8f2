"""Rate limits behind the TLS proxy: on a real gunicorn that sees every request come from the
proxy (127.0.0.1), the client's address comes from X-Forwarded-For through the configured
number of trusted proxies, and password sign-in is also limited per username."""

import re

import pytest

from billing.models import JournalEntry
from billing.services.journal import JET_LOGIN
from core.middleware import client_address
from core.models import Role
from tests.factories.core import make_staff
from tests.server import running_gunicorn

PASSWORD = "pw-secret-123"  # the factories' password


def _sign_in(server, username: str, password: str, address: str):
    browser = server.session()
    page = browser.get(f"{server.url}/login/", headers={"X-Forwarded-For": address})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post(
        f"{server.url}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"X-Forwarded-For": address},
        allow_redirects=False,
    )


@pytest.mark.django_db(transaction=True)
def test_one_attackers_wrong_passwords_lock_only_that_address_and_that_username(hotel, tmp_path):
    target = make_staff(hotel, Role.MANAGER, username="direction")
    make_staff(hotel, Role.WAITER, username="hugo")
    make_staff(hotel, Role.FRONT_DESK, username="claire")
    with running_gunicorn(tmp_path, TRUSTED_PROXY_COUNT="1") as server:
        # given an attacker at 203.0.113.7 who tries 50 passwords for the manager
        statuses = [
            _sign_in(server, "Direction", f"guess-{n}", "203.0.113.7").status_code
            for n in range(50)
        ]
        assert statuses[:10] == [200] * 10  # the form again, with its error
        assert set(statuses[10:]) == {429}

        # then the attacker's address is locked, even for another username
        locked = _sign_in(server, "hugo", PASSWORD, "203.0.113.7")
        assert locked.status_code == 429
        assert re.search(r"Try again in \d+ minutes?\.", locked.text)
        assert int(locked.headers["Retry-After"]) > 0
        # and so is the targeted username, from anywhere
        assert _sign_in(server, "direction", PASSWORD, "198.51.100.20").status_code == 429

        # while the other staff sign in from their own addresses
        assert _sign_in(server, "hugo", PASSWORD, "198.51.100.21").status_code == 302
        assert _sign_in(server, "claire", PASSWORD, "198.51.100.22").status_code == 302

    # and the sign-in record (JET) carries the client's address, not the proxy's
    records = JournalEntry.objects.filter(property=hotel, code=JET_LOGIN).order_by("sequence")
    assert [r.payload["ip"] for r in records] == ["198.51.100.21", "198.51.100.22"]
    assert target.pk  # the manager never got in
    assert not records.filter(actor="direction").exists()


def test_client_address_trusts_only_the_configured_proxies():
    meta = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7"}
    assert client_address(meta, 0) == "127.0.0.1"  # no proxy trusted: the header is ignored
    assert client_address(meta, 1) == "203.0.113.7"  # what the TLS proxy saw
    assert client_address(meta, 2) == "6.6.6.6"
    assert client_address(meta, 3) == "127.0.0.1"  # shorter than the proxy chain: ignored
    assert client_address({**meta, "HTTP_X_FORWARDED_FOR": "nonsense"}, 1) == "127.0.0.1"
    assert client_address({"REMOTE_ADDR": "127.0.0.1"}, 1) == "127.0.0.1"
