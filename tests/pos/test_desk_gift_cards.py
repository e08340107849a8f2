"""Gift cards sold at the front desk (issue 24): a fiscal sale on the reception's till through
the POS's sale service, the card issued in it, its code and QR on the screen, on the printed
receipt and e-mailed (buyer and recipient) through the outbox; a double tap sells once; bad
input changes nothing; desk and managers of the property only."""

from decimal import Decimal

import pytest
from django.core import mail

from billing.models import JournalEntry, Payment, Ticket
from core.models import OutboxMessage, Role
from crm.models import GiftCard
from crm.tasks import gift_card_email_task
from devices.documents import ReceiptDocument
from devices.rendering import Qr, layout_receipt
from pos.models import Outlet, Terminal
from pos.services.gift_card_sales import desk_gift_card_sell
from pos.services.receipts import receipt_document_now
from tests.factories.catalogue import make_gift_card_product
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db
URL = "/frontdesk/gift-cards/"


@pytest.fixture
def reception(hotel):
    outlet = Outlet.objects.create(
        property=hotel, code="reception", name="Réception", kind=Outlet.Kind.RECEPTION
    )
    return Terminal.objects.create(property=hotel, outlet=outlet, name="Comptoir")


@pytest.fixture
def gift_product(hotel, catalog):
    return make_gift_card_product(hotel)


@pytest.fixture
def desk(client, hotel):
    client.force_login(make_staff(hotel, Role.FRONT_DESK, username="desk"))
    client.cookies["django_language"] = "fr"
    return client


def form(gift_product, **kw):
    return {
        "product": gift_product.pk,
        "amount": "75,50",
        "first_name": "Paul",
        "last_name": "Durand",
        "email": "paul@example.fr",
        "recipient_email": "amie@example.fr",
        "method": "cash",
        "key": "k-1",
        **kw,
    }


def run_outbox():
    for message in OutboxMessage.objects.filter(task=gift_card_email_task.name, status="pending"):
        gift_card_email_task(**message.kwargs, outbox_id=message.pk)


def test_the_desk_sells_a_card_as_a_fiscal_sale_and_emails_its_code_and_qr(
    desk, hotel, reception, gift_product
):
    response = desk.post(URL, form(gift_product), follow=True)
    page = response.content.decode()
    card = GiftCard.objects.get()
    assert (card.initial_amount, card.balance, card.kind) == (
        Decimal("75.50"),
        Decimal("75.50"),
        "multi_purpose",
    )
    # a fiscal sale on the reception's till: its ticket, its payment, its journal entry
    ticket = Ticket.objects.get()
    assert ticket.total == Decimal("75.50") and reception.name in ticket.terminal
    assert Payment.objects.get(ticket=ticket).method == "cash"
    assert JournalEntry.objects.exists()
    # on screen: the code in groups of four, its value in French, its QR
    code = "-".join(card.code[i : i + 4] for i in range(0, 16, 4))
    assert code in page and 'data-testid="gift-card-qr"' in page
    assert "75,50" in page
    qr = desk.get(f"{URL}{card.pk}/qr.png")
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
    # nothing e-mailed before the outbox runs (after commit), then once to both
    assert not mail.outbox
    run_outbox()
    run_outbox()
    (message,) = mail.outbox
    assert sorted(message.to) == ["amie@example.fr", "paul@example.fr"]
    assert code in message.body and "Paul Durand" in message.body
    assert "75,50" in message.body  # in the buyer's language (French)
    (name, content, mimetype) = message.attachments[0]
    assert mimetype == "image/png" and content.startswith(b"\x89PNG")


def test_the_receipt_prints_the_code_and_its_qr(hotel, reception, gift_product):
    sale = desk_gift_card_sell(
        property=hotel,
        actor=make_staff(hotel, Role.FRONT_DESK, username="desk"),
        product_id=gift_product.pk,
        amount=Decimal("40.00"),
        buyer_first_name="",
        buyer_last_name="Martin",
        buyer_email="",
        recipient_email="",
        method="card",
        reference="TPE-42",
        client_key="r-1",
    )
    (card,) = sale.cards
    doc = receipt_document_now(ticket=sale.order.ticket)
    assert isinstance(doc, ReceiptDocument) and doc.gift_card_qrs == (card.code,)
    assert any(card.code[-4:] in line for line in doc.footer)
    printed = layout_receipt(doc, 42)
    assert Qr(card.code) in printed
    # a buyer without an address gets nothing e-mailed
    assert not OutboxMessage.objects.filter(task=gift_card_email_task.name).exists()


def test_a_double_tap_sells_one_card(desk, hotel, reception, gift_product):
    desk.post(URL, form(gift_product))
    again = desk.post(URL, form(gift_product), follow=True)
    assert again.status_code == 200
    assert GiftCard.objects.count() == 1 and Ticket.objects.count() == 1
    assert OutboxMessage.objects.filter(task=gift_card_email_task.name).count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "0"}, "Une carte cadeau vaut entre 1 € et 5000 €."),
        ({"amount": "abc"}, "Saisissez le montant de la carte, par exemple 50."),
        ({"last_name": ""}, "Le nom du client est obligatoire."),
        ({"recipient_email": "pas-une-adresse"}, "L’adresse e-mail du destinataire"),
        ({"method": "card", "reference": ""}, "référence"),
        ({"method": "loyalty"}, "Choisissez comment l’acheteur paie."),
    ],
)
def test_bad_input_says_why_in_french_and_sells_nothing(
    desk, hotel, reception, gift_product, changes, message
):
    response = desk.post(URL, form(gift_product, **changes))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not GiftCard.objects.exists() and not Ticket.objects.exists()
    assert not OutboxMessage.objects.filter(task=gift_card_email_task.name).exists()


def test_without_a_reception_till_the_desk_is_told_and_nothing_sold(desk, hotel, gift_product):
    response = desk.post(URL, form(gift_product))
    assert response.status_code == 422
    assert "Aucune caisse de réception" in response.content.decode()
    assert not GiftCard.objects.exists()


@pytest.mark.parametrize("role", [Role.HOUSEKEEPING, Role.WAITER, Role.ACCOUNTANT])
def test_only_the_desk_and_managers_sell(client, hotel, reception, gift_product, role):
    client.force_login(make_staff(hotel, role, username=f"u-{role}"))
    assert client.get(URL).status_code == 403
    assert client.post(URL, form(gift_product)).status_code == 403
    assert not GiftCard.objects.exists()


def test_another_propertys_card_and_sale_are_not_shown(
    desk, hotel, other_hotel, reception, gift_product
):
    from crm.services.gift_cards import gift_card_issue

    theirs = gift_card_issue(
        property=other_hotel, amount=Decimal("10"), kind="multi_purpose", source="x:1"
    )
    assert desk.get(f"{URL}{theirs.pk}/qr.png").status_code == 404
    assert desk.get(f"{URL}sold/999999/").status_code == 404
