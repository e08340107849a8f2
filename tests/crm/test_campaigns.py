"""Segments and campaigns: who is in a segment (one query), a campaign queued only to
consenting guests and sent at its rate with a voucher each, the unsubscribe, pixel and
click links, vouchers' restrictions at the till, and the report (CRM-2, CRM-3)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.services.payments import TenderInput
from billing.services.tickets import ticket_credit_issue, ticket_void
from core.exceptions import InvalidInput
from crm.models import Campaign, CampaignRecipient, Consent, GiftCard, Guest, Segment
from crm.services.campaigns import (
    campaign_batch_send,
    campaign_save,
    campaigns_release_due,
    link_token,
    segment_save,
)
from crm.services.gift_cards import GiftCardRefused
from crm.services.merge import guests_merge
from inventory.models import GiftCardKind, Product, RevenueCategory
from pms.models import Reservation
from pos.services.checkout import order_checkout
from reporting.campaigns import campaign_report, campaign_send_now, campaigns_trigger
from reporting.segments import segment_count, segment_guests
from tests.factories.pos import make_terminal
from tests.pos.helpers import due, line

pytestmark = pytest.mark.django_db

TEXTS = {
    "subject_fr": "Merci {first_name}",
    "body_fr": "Bonjour {first_name}, votre bon {voucher_code} de {voucher_value}. {link}",
    "subject_en": "Thank you {first_name}",
    "body_en": "Hello {first_name}, your voucher {voucher_code} worth {voucher_value}. {link}",
}


def guest(hotel, last_name, *, opt_in=True, email=True, language="fr", **kw) -> Guest:
    return Guest.objects.create(
        organization=hotel.organization,
        first_name="Jeanne",
        last_name=last_name,
        email=f"{last_name.lower()}@example.org" if email else "",
        marketing_opt_in=opt_in,
        language=language,
        **kw,
    )


def stay(hotel, g, *, days_ago=3, nights=2, status=Reservation.Status.CHECKED_OUT):
    today = hotel.business_date()
    return Reservation.objects.create(
        property=hotel,
        reference=f"S{Reservation.objects.count() + 1}",
        guest=g,
        status=status,
        channel="front_desk",
        arrival=today - timedelta(days=days_ago + nights),
        departure=today - timedelta(days=days_ago),
    )


@pytest.fixture
def bar(hotel):
    return make_terminal(hotel, outlet_code="bar", outlet_name="Bar")


@pytest.fixture
def spa(hotel):
    return make_terminal(hotel, outlet_code="spa", outlet_name="Spa", name="Caisse spa")


@pytest.fixture
def hammam(hotel, catalog):
    return Product.objects.create(
        property=hotel,
        code="hammam",
        name_fr="Accès hammam",
        price=Decimal("40.00"),
        vat_rate=Decimal("20.00"),
        revenue_category=RevenueCategory.SERVICES,
    )


def sell(hotel, terminal, actor, lines, g=None, tenders=None):
    tenders = tenders or [TenderInput(method="cash", amount=due(hotel, lines))]
    return order_checkout(
        property=hotel, terminal=terminal, actor=actor, lines=lines, tenders=tenders, guest=g
    )


def make_segment(hotel, manager, rules, match="all"):
    return segment_save(property=hotel, name="S", match=match, rules=rules, actor=manager)


def make_campaign(hotel, manager, segment, **kw):
    fields = {
        "name": "After the stay",
        "segment_id": segment.pk,
        "voucher_amount": "20",
        "voucher_validity_days": "60",
        **TEXTS,
        **kw,
    }
    return campaign_save(property=hotel, actor=manager, **fields)


def test_spent_at_an_outlet_during_the_stay_and_consent_select_one_guest_in_one_query(
    hotel, catalog, product, bar, manager
):
    # given: three guests who stayed; two drank more than 50 € at the bar during the stay
    big, quiet, no_consent = (
        guest(hotel, "Big"),
        guest(hotel, "Quiet"),
        guest(hotel, "Shy", opt_in=False),
    )
    for g in (big, quiet, no_consent):
        stay(hotel, g, days_ago=0)
    spritz = product("spritz")
    sell(hotel, bar, manager, [line(spritz, "5")], g=big)  # 55 €
    sell(hotel, bar, manager, [line(spritz, "1")], g=quiet)  # 11 €
    sell(hotel, bar, manager, [line(spritz, "6")], g=no_consent)
    rules = [
        {"type": "spent", "min": "50", "outlet": "Bar", "during_last_stay": True},
        {"type": "consent"},
    ]
    # when
    segment = make_segment(hotel, manager, rules)
    with CaptureQueriesContext(connection) as queries:
        count = segment_count(segment=segment)
    # then
    assert count == 1 and len(queries) == 1
    assert list(segment_guests(property=hotel, match="all", rules=segment.rules)) == [big]
    # OR: any of the two rules
    either = make_segment(hotel, manager, rules, match="any")
    assert segment_count(segment=either) == 3


def test_spent_counts_a_merged_profile_for_the_kept_one_and_never_a_voided_ticket(
    hotel, catalog, product, bar, manager
):
    # given: a guest who spent 33 € under each of two profiles, since merged; another whose
    # 66 € ticket was voided; a third whose 66 € were refunded by 22 €
    keep, duplicate, voided, refunded = (
        guest(hotel, "Keep"),
        guest(hotel, "Duplicate"),
        guest(hotel, "Voided"),
        guest(hotel, "Refunded"),
    )
    spritz = product("spritz")
    sell(hotel, bar, manager, [line(spritz, "3")], g=keep)
    sell(hotel, bar, manager, [line(spritz, "3")], g=duplicate)
    cancelled = sell(hotel, bar, manager, [line(spritz, "6")], g=voided).ticket
    ticket_void(property=hotel, ticket=cancelled, actor=manager, reason="erreur")
    sale = sell(hotel, bar, manager, [line(spritz, "6")], g=refunded).ticket
    ticket_credit_issue(
        property=hotel,
        original=sale,
        quantities={sale.lines.get().pk: Decimal("2")},
        cashier=manager,
        outlet_name="Bar",
        terminal_name="Caisse",
        reason="erreur",
    )
    guests_merge(keep=keep, duplicate=duplicate, actor=manager)

    def spenders(**rule):
        rules = [{"type": "spent", "outlet": "Bar", **rule}]
        return set(segment_guests(property=hotel, match="all", rules=rules))

    # then: the tickets' totals (every category) and the lines' (one category) agree
    category = spritz.revenue_category
    assert spenders(min="50") == spenders(min="50", category=category) == {keep}
    assert spenders(min="40") == spenders(min="40", category=category) == {keep, refunded}
    assert spenders(min="50", category="nothing-sold") == set()


def test_visits_season_last_stay_language_and_company_rules(hotel, manager):
    regular, once, english = (
        guest(hotel, "Regular"),
        guest(hotel, "Once"),
        guest(hotel, "English", language="en"),
    )
    stay(hotel, regular, days_ago=400)
    stay(hotel, regular, days_ago=30)
    stay(hotel, once, days_ago=400)
    stay(hotel, english, days_ago=10)
    today = hotel.business_date()

    def count(*rules):
        return segment_guests(property=hotel, match="all", rules=list(rules)).count()

    assert count({"type": "visits", "min": 2}) == 1
    assert (
        count(
            {
                "type": "stayed",
                "from": (today - timedelta(days=410)).isoformat(),
                "to": (today - timedelta(days=399)).isoformat(),
            }
        )
        == 2
    )
    assert (
        count({"type": "last_stay_before", "date": (today - timedelta(days=100)).isoformat()}) == 1
    )
    assert count({"type": "language", "value": "en"}) == 1


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([], "A segment needs at least one rule."),
        ([{"type": "spent", "min": "-5"}], "The amount spent cannot be negative."),
        ([{"type": "visits", "min": "0"}], "Visits must be at least 1."),
        ([{"type": "stayed", "from": "2026-05-01"}], "A stay period needs a start and an end."),
        ([{"type": "nope"}], "Unknown kind of rule."),
    ],
)
def test_a_bad_segment_is_refused_with_its_reason_and_nothing_is_saved(
    hotel, manager, rules, message
):
    with pytest.raises(InvalidInput) as refused:
        make_segment(hotel, manager, rules)
    assert str(refused.value.message) == message
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"body_fr": "Bonjour {prenom}"}, "unknown placeholder {prenom}"),
        ({"voucher_amount": "-3"}, "The voucher amount must be positive."),
        ({"voucher_percent": "120"}, "A percentage must be more than 0 and at most 100."),
        ({"subject_en": ""}, "Subject (English) is empty."),
        ({"send_rate_per_minute": "0"}, "the rate are at least 1"),
    ],
)
def test_a_bad_campaign_is_refused_with_its_reason_and_nothing_is_saved(
    hotel, manager, fields, message
):
    segment = make_segment(hotel, manager, [{"type": "consent"}])
    with pytest.raises(InvalidInput) as refused:
        make_campaign(hotel, manager, segment, **fields)
    assert message in str(refused.value.message)
    assert not Campaign.objects.exists()


def test_a_one_off_campaign_goes_only_to_consenting_guests_at_its_rate(
    hotel, manager, django_capture_on_commit_callbacks, celery_eager
):
    # given: 5 consenting guests, one who refused, one without e-mail
    for i in range(5):
        guest(hotel, f"Fan{i}")
    guest(hotel, "Refused", opt_in=False)
    guest(hotel, "Nomail", email=False)
    segment = make_segment(hotel, manager, [{"type": "language", "value": "fr"}])
    campaign = make_campaign(hotel, manager, segment, send_rate_per_minute="2")
    # when: sent now, then the beat releases twice within a minute and once a minute later
    assert campaign_send_now(campaign=campaign, actor=manager) == 5
    assert campaign_send_now(campaign=campaign, actor=manager) == 0  # started: nothing twice
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns_release_due(now=now) == 2
        assert campaigns_release_due(now=now + timedelta(seconds=30)) == 0
        assert campaigns_release_due(now=now + timedelta(seconds=61)) == 2
    # then: 4 e-mails, each with its own voucher, QR and one-click unsubscribe
    assert len(mail.outbox) == 4
    assert {m.to[0] for m in mail.outbox} <= {f"fan{i}@example.org" for i in range(5)}
    message = mail.outbox[0]
    assert message.subject == "Merci Jeanne"
    card = GiftCard.objects.get(recipient__guest__email=message.to[0])
    assert card.code in message.body and "20,00" in message.body
    assert card.kind == GiftCardKind.PROMOTIONAL and card.campaign == campaign
    assert message.attachments[0][0] == f"voucher-{card.code}.png"
    assert message.attachments[0][1][:4] == b"\x89PNG"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/m/u/")
    assert GiftCard.objects.filter(campaign=campaign).count() == 4
    assert CampaignRecipient.objects.filter(status="queued").count() == 1


def test_a_guest_who_withdrew_consent_after_queueing_gets_nothing(hotel, manager):
    g = guest(hotel, "Late")
    segment = make_segment(hotel, manager, [{"type": "consent"}])
    campaign = make_campaign(hotel, manager, segment)
    campaign_send_now(campaign=campaign, actor=manager)
    Guest.objects.filter(pk=g.pk).update(marketing_opt_in=False)
    recipient = CampaignRecipient.objects.get()
    assert campaign_batch_send(recipient_ids=[recipient.pk]) == 0
    recipient.refresh_from_db()
    assert recipient.status == "skipped" and not mail.outbox and not GiftCard.objects.exists()


def _sent_recipient(hotel, manager, **campaign_fields):
    guest(hotel, "Fan")
    segment = make_segment(hotel, manager, [{"type": "consent"}])
    campaign = make_campaign(hotel, manager, segment, **campaign_fields)
    campaign_send_now(campaign=campaign, actor=manager)
    recipient = CampaignRecipient.objects.get()
    campaign_batch_send(recipient_ids=[recipient.pk])
    recipient.refresh_from_db()
    return campaign, recipient


def test_one_click_unsubscribe_works_without_login_or_csrf(hotel, manager, client):
    from django.test import Client

    campaign, recipient = _sent_recipient(hotel, manager)
    url = f"/m/u/{link_token(recipient)}/"
    strict = Client(enforce_csrf_checks=True)
    # a GET (a link scanner) only shows the button
    assert strict.get(url).status_code == 200
    assert Guest.objects.get(pk=recipient.guest_id).marketing_opt_in
    # the mail client's RFC 8058 POST, no cookie, no CSRF token
    response = strict.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    g = Guest.objects.get(pk=recipient.guest_id)
    assert not g.marketing_opt_in
    consent = Consent.objects.get(guest=g)
    assert consent.given is False and consent.source == Consent.Source.UNSUBSCRIBE
    # a forged token changes nothing
    assert strict.post("/m/u/forged/").status_code == 404


def test_the_pixel_and_a_click_are_recorded_and_no_link_leads_elsewhere(hotel, manager, client):
    from crm.services.campaigns import link_token as token_for

    campaign, recipient = _sent_recipient(hotel, manager)
    pixel = client.get(f"/m/o/{token_for(recipient)}.gif")
    assert pixel.status_code == 200 and pixel["Content-Type"] == "image/gif"
    booking = f"http://127.0.0.1:8000/book/{hotel.slug}/"
    response = client.get(f"/m/c/{token_for(recipient, url=booking)}/")
    assert response.status_code == 302 and response["Location"] == booking
    recipient.refresh_from_db()
    assert recipient.opened_at and recipient.clicked_at
    # a signed link to another site, or a token edited by hand: 404, no redirect
    evil = client.get(f"/m/c/{token_for(recipient, url='https://evil.example/')}/")
    assert evil.status_code == 404
    assert client.get(f"/m/c/{token_for(recipient, url=booking)}x/").status_code == 404


def test_a_percentage_voucher_valid_at_the_spa_only_takes_its_share(
    hotel, catalog, product, manager, bar, spa, hammam
):
    campaign, recipient = _sent_recipient(
        hotel, manager, voucher_percent="25", voucher_amount="30", voucher_outlets=["Spa"]
    )
    code = recipient.gift_card.code
    lines = [line(hammam)]
    price = due(hotel, lines)  # the POS price today (a season's rule may lower it)
    share = (price / 4).quantize(Decimal("0.01"))

    def pay(terminal, sold, voucher, g=None):
        total = due(hotel, sold)
        return sell(
            hotel,
            terminal,
            manager,
            sold,
            g=g,
            tenders=[
                TenderInput(method="gift_card", amount=voucher, terminal_reference=code),
                TenderInput(method="cash", amount=total - voucher),
            ],
        )

    # refused at the bar, and over its share at the spa
    with pytest.raises(GiftCardRefused, match="valid only at Spa"):
        pay(bar, [line(product("spritz"))], Decimal("1.00"))
    with pytest.raises(GiftCardRefused, match=f"at most {share}"):
        pay(spa, lines, share + Decimal("0.01"))
    # when: its share at the spa
    order = pay(spa, lines, share, g=recipient.guest)
    # then: booked as a discount (a free voucher is not a "bon", §9.1), counted in the report
    assert order.ticket.payments.get(method="promotion").amount == share
    report = campaign_report(campaign=campaign)
    assert report.redeemed == 1 and report.revenue == price and report.discount == share
    assert report.delivered == 1 and report.conversion_percent == Decimal("100.00")
    # single use: a second time is refused
    with pytest.raises(GiftCardRefused, match="already been used"):
        pay(spa, lines, share)


def test_after_check_out_trigger_queues_each_stay_once(hotel, manager):
    g = guest(hotel, "Leaving")
    stay(hotel, g, days_ago=2)
    stay(hotel, guest(hotel, "Earlier"), days_ago=20)  # long gone: not due
    segment = make_segment(hotel, manager, [{"type": "consent"}])
    campaign = make_campaign(
        hotel, manager, segment, trigger=Campaign.Trigger.AFTER_CHECK_OUT, trigger_days="1"
    )
    campaign_send_now(campaign=campaign, actor=manager)  # armed, nothing queued
    assert not CampaignRecipient.objects.exists()
    assert campaigns_trigger() == 1
    assert campaigns_trigger() == 0  # the beat again: nothing twice
    assert CampaignRecipient.objects.get().guest == g


def test_before_birthday_trigger(hotel, manager):
    today = hotel.business_date()
    soon = today + timedelta(days=7)
    g = guest(hotel, "Birthday", birth_date=soon.replace(year=1980))
    guest(hotel, "Other", birth_date=(soon + timedelta(days=1)).replace(year=1980))
    segment = make_segment(hotel, manager, [{"type": "consent"}])
    campaign = make_campaign(
        hotel, manager, segment, trigger=Campaign.Trigger.BEFORE_BIRTHDAY, trigger_days="7"
    )
    campaign_send_now(campaign=campaign, actor=manager)
    assert campaigns_trigger() == 1
    assert CampaignRecipient.objects.get().guest == g


def test_repeat_stays_within_twelve_months_are_counted(hotel, manager):
    campaign, recipient = _sent_recipient(hotel, manager)
    stay(hotel, recipient.guest, days_ago=-30, status=Reservation.Status.CONFIRMED)
    assert campaign_report(campaign=campaign).repeat_stays == 1
