import pytest

from tests.fakes.payment_provider import FakePaymentProvider


@pytest.fixture
def fake_provider(settings):
    """The card provider's API on 127.0.0.1, configured as Auberge's provider."""
    fake = FakePaymentProvider().start()
    settings.PAYMENT_PROVIDER_URL = fake.url
    settings.PAYMENT_PROVIDER_SECRET_KEY = fake.secret_key
    settings.PAYMENT_PROVIDER_WEBHOOK_SECRET = fake.webhook_secret
    settings.PAYMENT_PROVIDER_TIMEOUT = 2.0
    try:
        yield fake
    finally:
        fake.stop()
