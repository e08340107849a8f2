"""Gift cards bought in the booking engine (issue 24), paid on the card provider's page (the
fake provider on 127.0.0.1): the manager chooses the amounts offered on a screen; the card is
issued only once the provider says the payment succeeded — by the buyer's return or the
webhook's worker, once whatever the retries — then e-mailed with its code and QR; a declined,
cancelled or abandoned payment issues nothing."""

import json
import threading
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from billing.models import JournalEntry, Payment, Ticket
from core.models import OutboxMessage, Role
from crm.models import GiftCard
from crm.tasks import gift_card_email_task
from inventory.models import GiftCardKind, RevenueCategory
from pms.services.online_payments import _intent_listeners
from pos.models import OnlineGiftCardOffer, OnlineGiftCardPurchase, Outlet, Terminal
from pos.services.guest_orders import guest_order_intent_seen
from pos.services.online_gift_cards import (
    online_gift_card_intent_seen,
    online_gift_card_refresh,
    online_gift_cards_expire,
)
from pos.tasks import online_gift_card_refresh_task
from tests.factories.catalogue import make_gift_card_product, make_product
from tests.factories.core import make_staff
from tests.pms.payments.conftest import fake_provider  # noqa: F401

pytestmark = pytest.mark.django_db
MANAGE = "/manage/gift-cards-online/"


@pytest.fixture
def reception(hotel):
    outlet = Outlet.objects.create(
        property=hotel, code="reception", name="Réception", kind=Outlet.Kind.RECEPTION
    )
    return Terminal.objects.create(property=hotel, outlet=outlet, name="Comptoir")


@pytest.fixture
def products(hotel, catalog):
    multi = make_gift_card_product(hotel)
    spa = make_product(
        hotel,
        "bon-spa",
        "Bon massage",
        "80.00",
        vat="20.00",
        revenue=RevenueCategory.SERVICES,
        gift_card_kind=GiftCardKind.SINGLE_PURPOSE,
    )
    return multi, spa


@pytest.fixture
def offers(hotel, products):
    multi, spa = products
    return {
        "50": OnlineGiftCardOffer.objects.create(property=hotel, product=multi, amount=50),
        "100": OnlineGiftCardOffer.objects.create(property=hotel, product=multi, amount=100),
        "spa": OnlineGiftCardOffer.objects.create(property=hotel, product=spa, amount=80),
    }


@pytest.fixture
def manager(client, hotel):
    client.force_login(make_staff(hotel, Role.MANAGER, username="boss"))
    client.cookies["django_language"] = "fr"
    return client


def _url(hotel, tail=""):
    return f"/book/{hotel.slug}/gift-cards/{tail}"


def _form(offer, **kw):
    return {
        "offer": offer.pk,
        "first_name": "Paul",
        "last_name": "Durand",
        "email": "Paul@Example.fr",
        "recipient_name": "Alice Martin",
        "recipient_email": "alice@example.fr",
        "key": "form-1",
        "lang": "fr",
        **kw,
    }


def _buy(hotel, chosen, **kw):
    """The buyer's POST: answered by a redirect to the provider's page."""
    data = _form(chosen)
    data.update(kw)
    return Client().post(_url(hotel), data)


def _return(hotel, purchase):
    return Client().get(_url(hotel, f"{purchase.public_id}/?lang=fr"))


def _run_emails():
    for message in OutboxMessage.objects.filter(task=gift_card_email_task.name, status="pending"):
        gift_card_email_task(**message.kwargs, outbox_id=message.pk)


# --- the manager's screen ------------------------------------------------------------


def test_the_manager_chooses_the_amounts_offered_online(
    manager,
    hotel,
    products,
    reception,
    fake_provider,  # noqa: F811
):
    multi, spa = products
    page = manager.get(MANAGE).content.decode()
    assert "Carte cadeau" in page and "Bon massage" in page
    response = manager.post(MANAGE, {"product": multi.pk, "amounts": "25; 50 100 49,90"})
    assert response.status_code == 302
    amounts = sorted(
        OnlineGiftCardOffer.objects.filter(product=multi, is_active=True).values_list(
            "amount", flat=True
        )
    )
    assert amounts == [Decimal("25"), Decimal("49.90"), Decimal("50"), Decimal("100")]
    assert "49,90" in manager.get(MANAGE).content.decode()
    # an amount dropped is switched off (a purchase may name it), not deleted
    manager.post(MANAGE, {"product": multi.pk, "amounts": "50"})
    assert OnlineGiftCardOffer.objects.filter(product=multi).count() == 4
    assert list(
        OnlineGiftCardOffer.objects.filter(product=multi, is_active=True).values_list(
            "amount", flat=True
        )
    ) == [Decimal("50")]
    # the guests' page shows what is offered, in French figures
    guest_page = Client().get(_url(hotel) + "?lang=fr").content.decode()
    assert "50,00\u00a0€" in guest_page or "50,00 €" in guest_page
    assert "25,00" not in guest_page


def test_a_bad_amount_is_refused_in_french_and_nothing_changes(manager, hotel, offers):
    multi = offers["50"].product
    response = manager.post(MANAGE, {"product": multi.pk, "amounts": "50; douze"})
    assert response.status_code == 422
    assert "entre" in response.content.decode() or "Saisissez" in response.content.decode()
    response = manager.post(MANAGE, {"product": multi.pk, "amounts": "50; 9000"})
    assert response.status_code == 422 and "5000" in response.content.decode()
    assert sorted(
        OnlineGiftCardOffer.objects.filter(product=multi, is_active=True).values_list(
            "amount", flat=True
        )
    ) == [Decimal("50"), Decimal("100")]


def test_only_managers_of_the_property_set_the_offers(client, hotel, other_hotel, offers):
    client.force_login(make_staff(hotel, Role.FRONT_DESK, username="desk"))
    assert client.post(
        MANAGE, {"product": offers["50"].product_id, "amounts": "5"}
    ).status_code in (
        302,
        403,
    )
    assert OnlineGiftCardOffer.objects.filter(amount=5).count() == 0
    # another property's manager does not see (nor change) this property's cards
    other = Client()
    other.force_login(make_staff(other_hotel, Role.MANAGER, username="other-boss"))
    assert "Carte cadeau" not in other.get(MANAGE).content.decode()
    assert (
        other.post(MANAGE, {"product": offers["50"].product_id, "amounts": "5"}).status_code == 422
    )
    assert OnlineGiftCardOffer.objects.filter(amount=5).count() == 0


# --- the purchase --------------------------------------------------------------------


def test_a_card_bought_online_is_issued_once_the_provider_says_paid_and_emailed(
    fake_provider,  # noqa: F811
    hotel,
    offers,
    reception,
):
    page = Client().get(_url(hotel) + "?lang=fr").content.decode()
    assert "Valable pour tout" in page or "anything" in page
    response = _buy(hotel, offers["100"])
    assert response.status_code == 302 and response.url.startswith(fake_provider.url)
    purchase = OnlineGiftCardPurchase.objects.get()
    assert purchase.amount == Decimal("100.00") and purchase.buyer_email == "paul@example.fr"
    # a double tap: the same purchase, the same intent
    assert _buy(hotel, offers["100"]).url == response.url
    assert OnlineGiftCardPurchase.objects.count() == 1
    # the buyer comes back without paying: nothing issued, the page says so
    page = _return(hotel, purchase).content.decode()
    assert 'data-testid="gift-pending"' in page
    assert not GiftCard.objects.exists() and not Ticket.objects.exists()

    fake_provider.pay(purchase.intent_id)
    page = _return(hotel, purchase).content.decode()
    card = GiftCard.objects.get()
    assert (card.initial_amount, card.balance, card.kind) == (
        Decimal("100.00"),
        Decimal("100.00"),
        GiftCardKind.MULTI_PURPOSE,
    )
    code = "-".join(card.code[i : i + 4] for i in range(0, 16, 4))
    assert code in page and "100,00" in page
    qr = Client().get(_url(hotel, f"{purchase.public_id}/qr.png"))
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
    # a fiscal sale on the reception's till, paid by card with the intent as reference
    ticket = Ticket.objects.get()
    assert ticket.total == Decimal("100.00") and reception.name in ticket.terminal
    payment = Payment.objects.get(ticket=ticket)
    assert payment.method == "card" and payment.terminal_reference == purchase.intent_id
    assert JournalEntry.objects.exists()
    # back again, and the worker of a late webhook: still one card, one ticket
    _return(hotel, purchase)
    assert online_gift_card_refresh_task(purchase_id=purchase.pk) == "paid"
    assert GiftCard.objects.count() == 1 and Ticket.objects.count() == 1
    # e-mailed once, to the buyer and the recipient, with the QR attached
    assert not mail.outbox
    _run_emails()
    _run_emails()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["alice@example.fr", "paul@example.fr"]
    assert code in message.body and "Alice Martin" in message.body
    assert message.attachments[0][2] == "image/png"


def test_the_webhook_alone_issues_the_card_once_and_replays_change_nothing(
    fake_provider,  # noqa: F811
    hotel,
    offers,
    reception,
    django_capture_on_commit_callbacks,
):
    _buy(hotel, offers["spa"])
    purchase = OnlineGiftCardPurchase.objects.get()
    fake_provider.hold_webhooks = True
    fake_provider.pay(purchase.intent_id)
    succeeded = fake_provider.events_of("payment_intent.succeeded")[-1]
    payload = json.dumps(succeeded).encode()

    def deliver():
        return Client().post(
            "/book/payments/webhook/",
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=fake_provider.sign(payload),
        )

    with django_capture_on_commit_callbacks(execute=False):
        assert deliver().json() == {"received": True, "replay": False}
        assert deliver().json()["replay"] is True
    message = OutboxMessage.objects.get(task=online_gift_card_refresh_task.name)
    assert not GiftCard.objects.exists()  # issued by the worker, after commit
    assert online_gift_card_refresh_task(**message.kwargs, outbox_id=message.pk) == "paid"
    assert online_gift_card_refresh_task(**message.kwargs, outbox_id=message.pk) == ""
    card = GiftCard.objects.get()
    assert card.kind == GiftCardKind.SINGLE_PURPOSE and card.initial_amount == Decimal("80.00")
    # single-purpose: revenue and VAT at sale (REFERENCE §9.1)
    assert Ticket.objects.get().total_vat == Decimal("13.33")
    # the buyer's return afterwards shows the same card
    assert card.code[-4:] in _return(hotel, purchase).content.decode()
    assert GiftCard.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_return_and_the_worker_at_the_same_time_issue_one_card(
    fake_provider,  # noqa: F811
    hotel,
    offers,
    reception,
):
    _buy(hotel, offers["50"])
    purchase = OnlineGiftCardPurchase.objects.get()
    fake_provider.pay(purchase.intent_id)
    barrier = threading.Barrier(4)
    errors = []

    def refresh():
        try:
            barrier.wait()
            online_gift_card_refresh(purchase=OnlineGiftCardPurchase.objects.get(pk=purchase.pk))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert GiftCard.objects.count() == 1 and Ticket.objects.count() == 1
    assert OnlineGiftCardPurchase.objects.get().status == "paid"


def test_a_declined_card_issues_nothing_and_the_buyer_may_try_another(
    fake_provider,  # noqa: F811
    hotel,
    offers,
    reception,
):
    _buy(hotel, offers["50"])
    purchase = OnlineGiftCardPurchase.objects.get()
    fake_provider.pay(purchase.intent_id, card="4000000000000002")
    page = _return(hotel, purchase).content.decode()
    assert 'data-testid="gift-declined"' in page and "declined" in page
    assert not GiftCard.objects.exists() and not Ticket.objects.exists()
    retry = Client().get(_url(hotel, f"{purchase.public_id}/pay/"))
    assert retry.status_code == 302 and retry.url.startswith(fake_provider.url)
    fake_provider.pay(purchase.intent_id)
    assert 'data-testid="gift-card-code"' in _return(hotel, purchase).content.decode()
    assert GiftCard.objects.count() == 1


def test_an_abandoned_payment_expires_and_issues_nothing(
    fake_provider,  # noqa: F811
    hotel,
    offers,
    reception,
):
    _buy(hotel, offers["50"])
    purchase = OnlineGiftCardPurchase.objects.get()
    assert online_gift_cards_expire() == 0  # still within its hour
    assert online_gift_cards_expire(now=timezone.now() + timedelta(hours=2)) == 1
    purchase.refresh_from_db()
    assert purchase.status == OnlineGiftCardPurchase.Status.EXPIRED
    assert fake_provider.intents[purchase.intent_id]["status"] == "canceled"
    page = _return(hotel, purchase).content.decode()
    assert 'data-testid="gift-expired"' in page
    assert not GiftCard.objects.exists() and not Ticket.objects.exists()
    assert Client().get(_url(hotel, f"{purchase.public_id}/qr.png")).status_code == 404


def test_bad_input_is_refused_in_french_and_nothing_is_started(
    fake_provider,  # noqa: F811
    hotel,
    offers,
    reception,
):
    response = _buy(hotel, offers["50"], email="pas-un-email")
    assert response.status_code == 422 and "e-mail" in response.content.decode()
    response = _buy(hotel, offers["50"], last_name="", key="k2")
    assert response.status_code == 422
    response = _buy(hotel, offers["50"], offer="999999", key="k3")
    assert response.status_code == 422
    assert not OnlineGiftCardPurchase.objects.exists()
    assert not [r for r in fake_provider.requests if r.get("method") == "POST"]


def test_without_a_provider_or_a_reception_till_nothing_is_offered(hotel, offers, settings):
    settings.PAYMENT_PROVIDER_SECRET_KEY = ""
    page = Client().get(_url(hotel) + "?lang=fr").content.decode()
    assert 'data-testid="no-gift-cards"' in page
    response = _buy(hotel, offers["50"])
    assert response.status_code == 503
    assert not OnlineGiftCardPurchase.objects.exists()


def test_a_post_from_another_site_is_refused(fake_provider, hotel, offers, reception):  # noqa: F811
    client = Client(enforce_csrf_checks=True)
    response = client.post(_url(hotel), _form(offers["50"]), HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    assert not OnlineGiftCardPurchase.objects.exists()


def test_the_gift_card_listener_sits_beside_the_guest_orders_one(
    fake_provider,  # noqa: F811
    hotel,
    offers,
    reception,
):
    assert guest_order_intent_seen in _intent_listeners
    assert online_gift_card_intent_seen in _intent_listeners
    # an intent that is nobody's queues nothing
    online_gift_card_intent_seen({"id": "pi_unknown"}, "payment_intent.succeeded")
    assert not OutboxMessage.objects.filter(task=online_gift_card_refresh_task.name).exists()
    # a purchase's failed attempt is not a reason to issue anything
    _buy(hotel, offers["50"])
    purchase = OnlineGiftCardPurchase.objects.get()
    online_gift_card_intent_seen({"id": purchase.intent_id}, "payment_intent.payment_failed")
    assert not OutboxMessage.objects.filter(task=online_gift_card_refresh_task.name).exists()
    assert urlsplit(fake_provider.url).hostname == "127.0.0.1"


def test_the_engine_page_reads_its_offers_in_a_fixed_number_of_queries(
    fake_provider,  # noqa: F811
    hotel,
    offers,
    reception,
    django_assert_max_num_queries,
):
    client = Client()
    client.get(_url(hotel) + "?lang=fr")  # warm the caches
    with django_assert_max_num_queries(6) as few:
        client.get(_url(hotel) + "?lang=fr")
    product = offers["50"].product
    for amount in (10, 20, 30, 40, 60, 70):
        OnlineGiftCardOffer.objects.create(property=hotel, product=product, amount=amount)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(_url(hotel) + "?lang=fr").content.decode()
    assert page.count('name="offer"') == 9


def test_an_erasure_blanks_the_buyer_and_recipient_of_an_online_purchase(
    fake_provider,  # noqa: F811
    hotel,
    offers,
    reception,
    manager,
):
    from crm.models import Guest
    from crm.services.gdpr import guest_erase, guest_export

    _buy(hotel, offers["50"])
    purchase = OnlineGiftCardPurchase.objects.get()
    fake_provider.pay(purchase.intent_id)
    online_gift_card_refresh(purchase=purchase)
    buyer = Guest.objects.get(email="paul@example.fr")
    exported = guest_export(guest=buyer, actor=manager)
    assert exported["online_gift_cards"][0]["recipient_email"] == "alice@example.fr"
    # the card went to the recipient: its balance does not hold the buyer's erasure back
    GiftCard.objects.update(guest=None)
    guest_erase(guest=buyer, actor=manager)
    purchase.refresh_from_db()
    assert (purchase.buyer_email, purchase.recipient_email, purchase.recipient_name) == ("", "", "")
    assert purchase.buyer_last_name == "—" and purchase.status == "paid"


def test_the_engines_first_page_links_to_the_gift_cards_when_some_are_on_sale(
    fake_provider,  # noqa: F811
    hotel,
    offers,
    reception,
):
    page = Client().get(f"/book/{hotel.slug}/?lang=fr").content.decode()
    assert f'href="/book/{hotel.slug}/gift-cards/?lang=fr"' in page
    assert "Offrir une carte cadeau" in page
    OnlineGiftCardOffer.objects.update(is_active=False)
    page = Client().get(f"/book/{hotel.slug}/?lang=fr").content.decode()
    assert "/gift-cards/" not in page
