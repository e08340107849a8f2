import fcntl
import hashlib
import os
from pathlib import Path

import django
import pytest
from django.core.cache import cache
from django.utils import translation

from core.models import Role
from tests.factories.core import PropertyFactory, make_staff
from tests.server import gunicorn_server  # noqa: F401  (a real gunicorn on 127.0.0.1)

ROOT = Path(__file__).resolve().parents[1]


def _migrations_digest() -> str:
    """What the migrated schema depends on: every migration file, the project modules the
    migrations import (fields, validators, defaults) and Django's version."""
    digest = hashlib.sha256(django.get_version().encode())
    imported = [
        ROOT / "core" / name
        for name in ("models.py", "images.py", "validators.py", "migration_ops.py")
    ]
    for path in [*sorted(ROOT.glob("*/migrations/*.py")), *imported]:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _build_template(connection, name: str) -> None:
    """Migrate a database once, under a temporary name renamed at the end: a half-built
    template (a crash mid-way) is never taken for a finished one."""
    settings_dict = connection.settings_dict
    saved = settings_dict["NAME"], settings_dict["TEST"].get("NAME")
    building = f"{name}_building"
    settings_dict["TEST"]["NAME"] = building
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    finally:
        connection.close()
        from django.conf import settings

        settings_dict["NAME"], settings_dict["TEST"]["NAME"] = saved
        settings.DATABASES[connection.alias]["NAME"] = saved[0]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_blocker, django_db_modify_db_settings):
    """Each xdist worker used to run every migration for its own test database (two to three
    minutes, both workers at once): the first worker migrates a template database once (kept
    between runs, named by a digest of the migration files, so a changed migration builds a
    new one) and each worker's database is a copy of it (CREATE DATABASE ... TEMPLATE).
    `migrate` still runs on the copy, with nothing left to apply."""
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "postgresql":
        yield request.getfixturevalue("_django_db_setup_migrating")
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    base = connection.settings_dict["TEST"]["NAME"] or f"test_{connection.settings_dict['NAME']}"
    if worker and base.endswith(f"_{worker}"):
        base = base[: -len(worker) - 1]
    template = f"{base}_tpl_{_migrations_digest()}"
    with django_db_blocker.unblock(), open(f"/tmp/{template}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                [base.replace("_", "\\_") + "\\_tpl\\_%"],
            )
            found = [row[0] for row in cursor.fetchall()]
            for stale in found:
                if stale != template:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{stale}"')
        if template not in found:
            _build_template(connection, template)
        fcntl.flock(lock, fcntl.LOCK_UN)
    connection.settings_dict["TEST"]["TEMPLATE"] = template
    yield request.getfixturevalue("_django_db_setup_migrating")


@pytest.fixture(scope="session")
def _django_db_setup_migrating(request, django_db_blocker, django_db_modify_db_settings):
    """pytest-django's own django_db_setup (create the test database, migrate it)."""
    from pytest_django.fixtures import django_db_setup as default

    yield from default.__wrapped__(
        request,
        request.getfixturevalue("django_test_environment"),
        django_db_blocker,
        request.getfixturevalue("django_db_use_migrations"),
        request.getfixturevalue("django_db_keepdb"),
        request.getfixturevalue("django_db_createdb"),
        django_db_modify_db_settings,
    )


@pytest.fixture(autouse=True)
def _clear_cache():
    # PIN counters and rate limits live in the (real Redis) cache: start every test clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english():
    # Code run outside a request speaks the active language: start every test in English
    # (what a previous test's request left active must not decide a message's language).
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def hotel(db):
    return PropertyFactory(name="Hôtel Les Tests", slug="les-tests")


@pytest.fixture
def other_hotel(db):
    return PropertyFactory(name="Hôtel Ailleurs", slug="ailleurs")


@pytest.fixture
def staff_of(db):
    def make(property, role=Role.WAITER, **kw):
        return make_staff(property, role, **kw)

    return make


@pytest.fixture
def manager(hotel):
    return make_staff(hotel, Role.MANAGER, username="manager", pin="666666")


@pytest.fixture
def waiter(hotel):
    return make_staff(hotel, Role.WAITER, username="waiter", pin="2222")


@pytest.fixture
def client(client):
    # Staff screens follow the property's language (French by default); tests read English
    # unless they choose French with the same cookie the language switcher sets.
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def catalog(hotel):
    """The demo catalog of Les Pins, loaded on the test property."""
    from inventory import demo

    context = {"property": hotel}
    demo.seed(context)
    return context


@pytest.fixture
def product(hotel):
    from inventory.models import Product

    def get(code):
        return Product.objects.select_related("capacity_pool").get(property=hotel, code=code)

    return get


@pytest.fixture
def celery_eager():
    """Tasks published after commit run in-process (no worker): for tests about what a task
    does, not about delivery (tests/worker.py has the real worker and a broker that is down)."""
    from celery import current_app

    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = previous


# The files whose tests take minutes (a subprocess migrating a database, every URL of the
# demo): run first, so the two xdist workers share them at the start instead of one worker
# finishing a four-minute file alone at the end (measured with --durations, 2026-12-03).
SLOW_FIRST = (
    "tests/pos/test_sale_on_sqlite.py",
    "tests/billing/test_seal_versions.py",
    "tests/core/test_backoffice_tenancy.py",
    "tests/core/test_formatting.py",
    "tests/core/test_demo.py",
    "tests/reporting/test_replica.py",
    "tests/pms/test_demo.py",
    "tests/pos/test_api_fast_checkout.py",
    "tests/pms/screens/test_frontdesk_actions.py",
    "tests/timeclock/test_layering.py",
    "tests/core/test_terminal_web.py",
    "tests/core/test_csp.py",
)


def pytest_collection_modifyitems(session, config, items):
    """Slow files first (xdist hands files out in collection order); the rest keep theirs."""
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
