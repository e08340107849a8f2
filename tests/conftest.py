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
