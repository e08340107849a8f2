import pytest
from django.core.cache import cache
from django.utils import translation

from core.models import Role
from tests.factories.core import PropertyFactory, make_staff
from tests.server import gunicorn_server  # noqa: F401  (a real gunicorn on 127.0.0.1)


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
