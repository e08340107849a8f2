"""Every write of the API honours an Idempotency-Key: the writes that were idempotent by
nature (cancel, check-in, a webhook's change or deletion) now also answer a retry with the
first answer, where a plain retry would answer differently (a deleted subscription: 404)."""

import pytest

from core.models import AuditEntry
from pms.models import Reservation
from tests.factories.api import scoped_api
from tests.factories.stays import make_stay
from tests.webhooks.factories import make_subscription
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db


def test_a_cancel_replayed_with_its_key_answers_the_first_answer(hotel, manager):
    stay = make_stay(hotel, status=Reservation.Status.CONFIRMED)
    api = scoped_api(hotel, manager, areas=["pms"])
    url = f"/api/v1/properties/{hotel.slug}/reservations/{stay.reservation.reference}/cancel"
    first = api.post(url, {"reason": "Grève"}, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "cancelled"
    again = api.post(url, {"reason": "Grève"}, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert AuditEntry.objects.filter(action__contains="cancel").count() >= 1
    other = api.post(url, {"reason": "Autre"}, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert other.status_code == 409  # the same key for another request


def test_a_webhook_deletion_replayed_answers_204_not_404(hotel, manager):
    subscription, _delivery = make_subscription(hotel)
    api = scoped_api(hotel, manager, areas=["webhooks"])
    url = f"/api/v1/properties/{hotel.slug}/webhooks/{subscription.public_id}"
    assert api.delete(url, HTTP_IDEMPOTENCY_KEY="d-1").status_code == 204
    replay = api.delete(url, HTTP_IDEMPOTENCY_KEY="d-1")
    assert replay.status_code == 204 and replay["Idempotent-Replayed"] == "true"
    assert api.delete(url).status_code == 404
    assert not WebhookSubscription.objects.exists()


def test_reads_of_existing_resources_answer_an_etag_and_304(hotel, manager):
    stay = make_stay(hotel)
    api = scoped_api(hotel, manager, areas=["pms", "billing"])
    base = f"/api/v1/properties/{hotel.slug}"
    for url in (
        f"{base}/reservations/{stay.reservation.reference}",
        f"{base}/folios/{stay.reservation.folio.public_id}",
    ):
        first = api.get(url)
        assert first.status_code == 200, first.json()
        assert api.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
