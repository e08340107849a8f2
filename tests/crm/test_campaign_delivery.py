"""A campaign's delivery (issue 24): a batch goes through one SMTP connection to a real
server on 127.0.0.1 (not one per e-mail); bounces reported by the mail provider over real
HTTP to POST /m/bounces/, HMAC-signed with EMAIL_BOUNCE_SECRET (403 otherwise, nothing
changes), make the report's "delivered" = sent − bounced, and a hard bounce stops later
campaign e-mails to that address."""

import json
import time
import urllib.error
import urllib.request

import pytest
from django.core import mail

from crm.models import CampaignRecipient, EmailBounce
from crm.services.bounces import RECIPIENT_HEADER, bounce_signature
from crm.services.campaigns import campaign_batch_send
from reporting.campaigns import campaign_report, campaign_send_now
from tests.crm.test_campaigns import guest, make_campaign, make_segment
from tests.fakes.smtp_server import FakeSmtpServer

pytestmark = pytest.mark.django_db
SECRET = "bounce-secret-for-tests"


@pytest.fixture
def smtp(settings):
    """Django's SMTP backend against the local server."""
    server = FakeSmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


def _queued(hotel, manager, count):
    for i in range(count):
        guest(hotel, f"Fan{i}")
    segment = make_segment(hotel, manager, [{"type": "consent"}])
    campaign = make_campaign(hotel, manager, segment)
    assert campaign_send_now(campaign=campaign, actor=manager) == count
    return campaign, list(CampaignRecipient.objects.filter(campaign=campaign).order_by("pk"))


def test_a_batch_goes_through_one_smtp_connection(hotel, manager, smtp):
    campaign, recipients = _queued(hotel, manager, 12)
    assert campaign_batch_send(recipient_ids=[r.pk for r in recipients]) == 12
    assert smtp.connections == 1
    assert len(smtp.messages) == 12
    assert {m.rcpt_to[0] for m in smtp.messages} == {f"fan{i}@example.org" for i in range(12)}
    # each e-mail carries its recipient's token for the bounce, and its unsubscribe header
    tokens = {m.message[RECIPIENT_HEADER] for m in smtp.messages}
    assert tokens == {r.token.hex for r in recipients}
    assert all(m.message["List-Unsubscribe"] for m in smtp.messages)
    assert campaign_report(campaign=campaign).sent == 12
    # a second batch opens its own connection (one per batch)
    _c2, more = _queued_again(hotel, manager)
    campaign_batch_send(recipient_ids=[r.pk for r in more])
    assert smtp.connections == 2


def _queued_again(hotel, manager):
    segment = make_segment(hotel, manager, [{"type": "consent"}])
    campaign = make_campaign(hotel, manager, segment, name="Second")
    campaign_send_now(campaign=campaign, actor=manager)
    return campaign, list(CampaignRecipient.objects.filter(campaign=campaign))


def test_an_address_the_server_refuses_fails_alone_and_the_batch_goes_on(hotel, manager, smtp):
    campaign, recipients = _queued(hotel, manager, 4)
    smtp.refuse = {"fan1@example.org"}
    assert campaign_batch_send(recipient_ids=[r.pk for r in recipients]) == 3
    statuses = dict(CampaignRecipient.objects.values_list("guest__email", "status"))
    assert statuses["fan1@example.org"] == "failed"
    assert [statuses[f"fan{i}@example.org"] for i in (0, 2, 3)] == ["sent"] * 3
    report = campaign_report(campaign=campaign)
    assert (report.sent, report.failed, report.delivered) == (3, 1, 3)


def _post(url, body: dict, *, secret=SECRET, timestamp=None, signature=None):
    payload = json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/m/bounces/", data=payload, method="POST")
    request.add_header("Content-Type", "application/json")
    if signature is None and secret:
        signature = bounce_signature(payload=payload, secret=secret, timestamp=timestamp)
    if signature is not None:
        request.add_header("X-Auberge-Signature", signature)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.mark.django_db(transaction=True)
def test_signed_bounces_over_http_lower_delivered_and_a_hard_one_stops_later_mail(
    hotel, manager, live_server, settings
):
    settings.EMAIL_BOUNCE_SECRET = SECRET
    campaign, recipients = _queued(hotel, manager, 3)
    assert campaign_batch_send(recipient_ids=[r.pk for r in recipients]) == 3
    hard = mail.outbox[0]
    soft_to = mail.outbox[1].to[0]
    # a hard bounce naming the e-mail's own token, a soft one by address only
    status, answer = _post(
        live_server.url,
        {
            "id": "evt-1",
            "email": hard.to[0].upper(),
            "type": "hard",
            "recipient": hard.extra_headers[RECIPIENT_HEADER],
            "detail": "550 5.1.1 user unknown",
        },
    )
    assert (status, answer) == (200, {"received": True, "replay": False})
    assert _post(live_server.url, {"id": "evt-2", "email": soft_to, "type": "soft"})[0] == 200
    # the provider redelivers: nothing counted twice
    assert _post(live_server.url, {"id": "evt-1", "email": hard.to[0], "type": "hard"}) == (
        200,
        {"received": True, "replay": True},
    )
    report = campaign_report(campaign=campaign)
    assert (report.sent, report.bounced, report.delivered) == (3, 2, 1)
    # the report's page shows it
    from django.test import Client

    page = Client()
    page.force_login(manager)
    html = page.get(f"/marketing/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="report-bounced">2<' in html
    assert 'data-testid="report-delivered">1<' in html

    # a later campaign: the hard-bounced address is left out, the soft one is not
    segment = make_segment(hotel, manager, [{"type": "consent"}])
    later = make_campaign(hotel, manager, segment, name="Later")
    assert campaign_send_now(campaign=later, actor=manager) == 2
    emails = set(
        CampaignRecipient.objects.filter(campaign=later).values_list("guest__email", flat=True)
    )
    assert hard.to[0] not in emails and soft_to in emails


@pytest.mark.django_db(transaction=True)
def test_an_unsigned_forged_or_old_bounce_is_refused_403_and_changes_nothing(
    hotel, manager, live_server, settings
):
    settings.EMAIL_BOUNCE_SECRET = SECRET
    campaign, recipients = _queued(hotel, manager, 1)
    campaign_batch_send(recipient_ids=[recipients[0].pk])
    to = mail.outbox[0].to[0]
    body = {"id": "evt-x", "email": to, "type": "hard"}
    assert _post(live_server.url, body, secret="")[0] == 403  # no signature
    assert _post(live_server.url, body, secret="wrong-secret")[0] == 403
    assert _post(live_server.url, body, timestamp=int(time.time()) - 3600)[0] == 403
    assert _post(live_server.url, body, signature="t=1,v1=00")[0] == 403
    assert not EmailBounce.objects.exists()
    assert campaign_report(campaign=campaign).delivered == 1
    # without a secret configured, even a "signed" bounce is refused
    settings.EMAIL_BOUNCE_SECRET = ""
    assert _post(live_server.url, body, secret="")[0] == 403
    assert not EmailBounce.objects.exists()


def test_a_hard_bounce_after_queueing_stops_the_email_when_it_leaves(hotel, manager):
    campaign, recipients = _queued(hotel, manager, 2)
    EmailBounce.objects.create(event_id="e", email="fan0@example.org", kind="hard")
    assert campaign_batch_send(recipient_ids=[r.pk for r in recipients]) == 1
    assert [m.to[0] for m in mail.outbox] == ["fan1@example.org"]
    skipped = CampaignRecipient.objects.get(guest__email="fan0@example.org")
    assert skipped.status == "skipped" and skipped.error == "hard bounce"
