"""Front desk actions as a receptionist uses them on the tablet: htmx partial updates with the
error next to the form (in the user's language), full-page fallback without htmx, and nothing
changed when an action is refused. Check-in with identity and deposit, room moves, extras,
payments, check-out, invoices (consolidated or split), e-mail, credit notes, the room grid."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from facturx import get_facturx_xml_from_pdf

from billing.models import FolioLine, Invoice, Payment
from billing.tasks import invoice_email_task
from core.models import AuditEntry, Role
from crm.models import Company
from inventory.models import Channel
from pms.models import Reservation, Room, RoomAssignment
from pms.services.rooms import room_assign
from pms.services.stays import DepartureBalance, reservation_check_in, reservation_check_out
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    return client


def room(hotel, number):
    return Room.objects.get(property=hotel, number=number)


def url(res, action=""):
    return f"/frontdesk/reservations/{res.reference}/{action}"


# the check-out form's "take the payment of the whole balance now", by card
PAY_NOW = {"balance": "pay", "pay_method": "card", "pay_reference": "TPE-3"}


@pytest.fixture
def in_house(hotel, book):
    """A guest in house in room 101 (two nights from today)."""
    res = book("classique", nights=2, last_name="Sejour")
    reservation_check_in(reservation=res, assignments={res.rooms.get().pk: room(hotel, "101").pk})
    res.refresh_from_db()
    return res


@pytest.fixture
def checked_out(in_house):
    reservation_check_out(
        reservation=in_house,
        open_balance=DepartureBalance(pay_method="card", pay_reference="TPE-9"),
    )
    in_house.refresh_from_db()
    return in_house


@pytest.fixture
def eager(celery_eager):
    """The e-mail task runs in-process when the outbox publishes it on commit (no broker)."""


# --- check-in -------------------------------------------------------------------------------


def test_htmx_check_in_with_identity_and_deposit(desk, hotel, book):
    # given
    res = book("classique", nights=2, last_name="Surnom")
    rr = res.rooms.get()
    # when
    response = desk.post(
        url(res, "check-in/"),
        {
            f"room_{rr.pk}": room(hotel, "102").pk,
            "last_name": "Dubois",
            "first_name": "Camille",
            "email": "Camille.Dubois@example.com",
            "phone": "+33 6 12 34 56 78",
            "country": "be",
            "deposit": "50,00",
            "deposit_method": "card",
            "deposit_reference": "TPE-7",
        },
        **HX,
    )
    # then: the desk partial comes back, not a page
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="desk"' in body
    assert "is checked in." in body and "Deposit of €50.00 recorded." in body
    assert response["Vary"] and "HX-Request" in response["Vary"]
    res.refresh_from_db()
    assert res.status == Reservation.Status.IN_HOUSE
    assert RoomAssignment.objects.get(reservation_room=rr).room.number == "102"
    guest = res.guest
    guest.refresh_from_db()
    assert (guest.last_name, guest.email, guest.country) == (
        "Dubois",
        "camille.dubois@example.com",
        "BE",
    )
    payment = Payment.objects.get(folio=res.folio)
    assert (payment.amount, payment.method, payment.terminal_reference) == (
        Decimal("50.00"),
        "card",
        "TPE-7",
    )
    assert "Deposit · Card · TPE-7" in body
    res.folio.refresh_from_db()
    assert res.folio.holder_name == "Camille Dubois"
    assert AuditEntry.objects.filter(action="crm.guest.identity_updated").count() == 1


@pytest.mark.parametrize("typed", ["1 000,50", "1\u00a0000,50\u00a0€", "1\u202f000,50 €"])
def test_an_amount_typed_as_the_screens_write_it_is_understood(desk, hotel, book, typed):
    """ "1 000,50 €", with the space (or no-break space) our screens put between thousands."""
    res = book("classique", nights=14, last_name="Long")
    assert res.total_price > Decimal("1000.50")
    rr = res.rooms.get()
    response = desk.post(
        url(res, "check-in/"),
        {
            f"room_{rr.pk}": room(hotel, "102").pk,
            "last_name": "Long",
            "email": "long@example.com",
            "deposit": typed,
            "deposit_method": "cash",
            "deposit_reference": "",
        },
        **HX,
    )
    assert response.status_code == 200, response.content.decode()[:500]
    assert Payment.objects.get(folio=res.folio).amount == Decimal("1000.50")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"dirty": True}, "Room 101 is not clean yet."),
        ({"deposit": "abc"}, "Enter a valid amount."),
        ({"deposit": "-5"}, "Enter a valid amount."),
        ({"deposit": "99999"}, "is more than the stay"),
        ({"deposit": "20", "deposit_reference": ""}, "A card payment needs the payment terminal"),
        ({"email": "not-an-email"}, "is not a valid e-mail address."),
        ({"last_name": " "}, "The guest's last name is required."),
    ],
)
def test_refused_check_in_shows_the_error_inline_and_changes_nothing(
    desk, hotel, book, change, message
):
    # given
    res = book("classique", nights=1, last_name="Avant")
    rr = res.rooms.get()
    target = room(hotel, "101")
    if change.pop("dirty", False):
        target.housekeeping_status = Room.Housekeeping.DIRTY
        target.save()
    data = {
        f"room_{rr.pk}": target.pk,
        "last_name": "Apres",
        "email": "a@example.com",
        "deposit": "",
        "deposit_method": "card",
        "deposit_reference": "TPE-1",
        **change,
    }
    # when
    response = desk.post(url(res, "check-in/"), data, **HX)
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error"' in body and message in body.replace("&#x27;", "'")
    assert 'data-testid="check-in-form"' in body
    res.refresh_from_db()
    res.guest.refresh_from_db()
    assert res.status == Reservation.Status.CONFIRMED
    assert res.guest.last_name == "Avant"
    assert RoomAssignment.objects.count() == 0
    assert Payment.objects.count() == 0


def test_check_in_without_htmx_falls_back_to_the_full_page(desk, hotel, book):
    res = book("classique", nights=1)
    response = desk.post(
        url(res, "check-in/"),
        {f"room_{res.rooms.get().pk}": room(hotel, "101").pk, "deposit": "x"},
    )
    assert response.status_code == 302
    page = desk.get(response["Location"]).content.decode()
    assert "<html" in page and 'class="msg-error"' in page and "Enter a valid amount." in page


def test_errors_follow_the_users_language(desk, book):
    # given: the receptionist works in French
    desk.cookies["django_language"] = "fr"
    res = book()
    # when
    response = desk.post(url(res, "check-out/"), **HX)
    # then
    assert "Seul un client présent peut faire son départ." in response.content.decode()
    res.refresh_from_db()
    assert res.status == Reservation.Status.CONFIRMED


# --- room moves ------------------------------------------------------------------------------


def test_move_a_guest_in_house_to_a_clean_room(desk, hotel, in_house):
    # given
    page = desk.get(url(in_house)).content.decode()
    assert 'data-testid="move-form"' in page
    assert f'<option value="{room(hotel, "102").pk}">' in page
    # when
    response = desk.post(
        url(in_house, "move/"),
        {"reservation_room": in_house.rooms.get().pk, "room": room(hotel, "102").pk},
        **HX,
    )
    # then
    body = response.content.decode()
    assert "Moved from room 101 to room 102." in body
    assert 'data-testid="room-number">102<' in body
    rr = in_house.rooms.get()
    assert rr.room.number == "102"
    assert room(hotel, "101").housekeeping_status == Room.Housekeeping.DIRTY


def test_move_into_a_dirty_or_taken_room_is_refused(desk, hotel, in_house, book):
    # given: 102 is dirty, 103 is taken by another guest
    dirty = room(hotel, "102")
    dirty.housekeeping_status = Room.Housekeeping.DIRTY
    dirty.save()
    other = book("classique", nights=2, last_name="Voisin")
    room_assign(reservation_room=other.rooms.get(), room=room(hotel, "103"))
    rr = in_house.rooms.get()
    # when
    to_dirty = desk.post(
        url(in_house, "move/"), {"reservation_room": rr.pk, "room": dirty.pk}, **HX
    )
    to_taken = desk.post(
        url(in_house, "move/"), {"reservation_room": rr.pk, "room": room(hotel, "103").pk}, **HX
    )
    garbage = desk.post(url(in_house, "move/"), {"reservation_room": rr.pk, "room": "x"}, **HX)
    # then
    assert "Room 102 is not clean yet." in to_dirty.content.decode()
    assert "Room 103 is already taken for these nights." in to_taken.content.decode()
    assert "Choose the room to move to." in garbage.content.decode()
    rr.refresh_from_db()
    assert rr.room.number == "101"
    assert RoomAssignment.objects.filter(reservation_room=rr, released_at__isnull=True).count() == 1


# --- extras and payments -----------------------------------------------------------------------


def test_post_an_extra_once_even_on_a_double_tap(desk, hotel, in_house, product):
    # given
    page = desk.get(url(in_house)).content.decode()
    assert 'data-testid="extra-form"' in page
    cafe = product("cafe")
    data = {"product_id": cafe.pk, "quantity": "2", "key": "k-123"}
    # when
    first = desk.post(url(in_house, "extra/"), data, **HX)
    desk.post(url(in_house, "extra/"), data, **HX)
    # then
    line = FolioLine.objects.get(folio=in_house.folio)
    assert (line.quantity, line.total, line.product_id) == (Decimal("2"), Decimal("5.00"), cafe.pk)
    body = first.content.decode()
    assert "posted (€5.00)" in body and 'data-testid="balance">€5.00' in body


def test_extras_counted_in_stock_consume_it(desk, in_house, product):
    basket = product("panier-gourmand")
    desk.post(
        url(in_house, "extra/"), {"product_id": basket.pk, "quantity": "1", "key": "b1"}, **HX
    )
    from inventory.models import CapacityBucket

    assert CapacityBucket.objects.get(pool=basket.capacity_pool).sold == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"quantity": "0"}, "The quantity must be between 1 and 100."),
        ({"quantity": "two"}, "The quantity must be a whole number."),
        ({"product_id": "999999"}, "Unknown product."),
        ({"product_id": "massage-60"}, "is booked with a date or a time slot"),
    ],
)
def test_bad_extras_are_refused_inline(desk, in_house, product, data, message):
    if data.get("product_id") == "massage-60":
        data["product_id"] = product("massage-60").pk
    payload = {"product_id": product("cafe").pk, "quantity": "1", "key": "k", **data}
    response = desk.post(url(in_house, "extra/"), payload, **HX)
    assert message in response.content.decode()
    assert FolioLine.objects.filter(folio=in_house.folio).count() == 0


def test_an_extra_for_a_guest_not_in_house_is_refused(desk, book, product):
    res = book()
    response = desk.post(
        url(res, "extra/"), {"product_id": product("cafe").pk, "quantity": "1", "key": "k"}, **HX
    )
    assert "Only a guest in house can be charged an extra." in response.content.decode()
    assert FolioLine.objects.count() == 0


def test_payment_errors_inline_and_payment_recorded(desk, in_house, product):
    # given: 5.00 on the folio
    desk.post(
        url(in_house, "extra/"), {"product_id": product("cafe").pk, "quantity": "2", "key": "a"}
    )
    # when
    too_much = desk.post(url(in_house, "payment/"), {"amount": "9", "method": "cash"}, **HX)
    no_method = desk.post(url(in_house, "payment/"), {"amount": "5"}, **HX)
    paid = desk.post(
        url(in_house, "payment/"), {"amount": "5", "method": "cash", "tendered": "10"}, **HX
    )
    # then
    assert "is more than the balance" in too_much.content.decode()
    assert "Choose a payment method." in no_method.content.decode()
    assert "Payment of €5.00 recorded." in paid.content.decode()
    payment = Payment.objects.get(folio=in_house.folio)
    assert (payment.amount, payment.change) == (Decimal("5.00"), Decimal("5.00"))


# --- check-out, invoices, e-mail, credit notes ---------------------------------------------------


def test_check_out_then_issue_the_invoice_and_download_its_pdf(desk, in_house):
    # when: check out with htmx, the guest paying the balance by card
    out = desk.post(url(in_house, "check-out/"), PAY_NOW, **HX)
    body = out.content.decode()
    assert "is checked out." in body and 'data-testid="settle-form"' not in body
    assert 'data-testid="issue-invoice"' in body
    # when: issue the invoice
    issued = desk.post(url(in_house, "invoice/"), {"mode": "all"}, **HX).content.decode()
    # then
    invoice = Invoice.objects.get(folio=in_house.folio)
    charges = sum(li.total for li in FolioLine.objects.filter(folio=in_house.folio))
    assert invoice.total == charges and invoice.total > 0
    assert f"Invoice {invoice.number} issued." in issued
    assert f'href="/billing/invoices/{invoice.public_id}.pdf"' in issued
    assert 'data-testid="issue-invoice"' not in issued
    pdf = desk.get(f"/billing/invoices/{invoice.public_id}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # and a second tap issues nothing more
    again = desk.post(url(in_house, "invoice/"), {"mode": "all"}, **HX)
    assert "Nothing left to invoice on this folio." in again.content.decode()
    assert Invoice.objects.filter(folio=in_house.folio).count() == 1


def test_invoice_before_check_out_is_refused(desk, in_house):
    response = desk.post(url(in_house, "invoice/"), {"mode": "all"}, **HX)
    assert "Issue the invoice after check-out." in response.content.decode()
    assert Invoice.objects.count() == 0


def test_split_invoice_room_to_the_company_extras_to_the_guest(desk, hotel, in_house, product):
    # given: the company pays the room, the guest had a coffee
    company = Company.objects.create(organization=hotel.organization, name="Acme SAS")
    Reservation.objects.filter(pk=in_house.pk).update(company=company)
    desk.post(
        url(in_house, "extra/"), {"product_id": product("cafe").pk, "quantity": "1", "key": "c"}
    )
    desk.post(url(in_house, "check-out/"), PAY_NOW)
    page = desk.get(url(in_house)).content.decode()
    assert "Room nights to Acme SAS, extras to the guest" in page
    # when
    desk.post(url(in_house, "invoice/"), {"mode": "split"}, **HX)
    # then
    to_company, to_guest = Invoice.objects.filter(folio=in_house.folio).order_by("pk")
    assert to_company.company == company and to_company.buyer["name"] == "Acme SAS"
    assert {li.revenue_category for li in to_company.lines.all()} == {"accommodation"}
    assert to_guest.company is None
    assert "Espresso" in [li.description for li in to_guest.lines.all()]


def test_whole_invoice_to_the_company_downloads_as_factur_x(desk, hotel, in_house, product):
    # given: a business customer known by its SIREN and VAT number pays the whole stay
    company = Company.objects.create(
        organization=hotel.organization,
        name="Acme SAS",
        siren="812345676",
        vat_number="FR19812345676",
    )
    Reservation.objects.filter(pk=in_house.pk).update(company=company)
    desk.post(
        url(in_house, "extra/"), {"product_id": product("cafe").pk, "quantity": "1", "key": "c"}
    )
    desk.post(url(in_house, "check-out/"), PAY_NOW)  # paid at the desk, invoiced to Acme
    assert "Everything to Acme SAS" in desk.get(url(in_house)).content.decode()
    # when
    desk.post(url(in_house, "invoice/"), {"mode": "company"}, **HX)
    # then: one invoice to the company, and the desk's PDF carries its Factur-X XML
    (invoice,) = Invoice.objects.filter(folio=in_house.folio)
    assert invoice.company == company and invoice.buyer["siren"] == "812345676"
    assert {li.revenue_category for li in invoice.lines.all()} >= {"accommodation", "drinks"}
    pdf = desk.get(f"/billing/invoices/{invoice.public_id}.pdf")
    assert pdf.status_code == 200
    filename, xml = get_facturx_xml_from_pdf(pdf.content, check_xsd=True)
    assert filename == "factur-x.xml" and invoice.number.encode() in xml


def test_invoice_to_the_company_without_a_company_is_refused(desk, checked_out):
    response = desk.post(url(checked_out, "invoice/"), {"mode": "company"}, **HX)
    assert "No company pays this stay." in response.content.decode()
    assert Invoice.objects.count() == 0


def test_e_mail_the_invoice_after_commit(
    desk, checked_out, eager, django_capture_on_commit_callbacks
):
    # given
    desk.post(url(checked_out, "invoice/"), {"mode": "all"})
    invoice = Invoice.objects.get(folio=checked_out.folio)
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = desk.post(
            url(checked_out, "invoice/email/"),
            {"invoice": str(invoice.public_id), "email": "guest@example.com"},
            **HX,
        )
    # then
    assert len(callbacks) == 1
    assert f"{invoice.number} will be e-mailed to guest@example.com." in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["guest@example.com"]
    assert message.attachments[0][0] == f"{invoice.number}.pdf"


def test_e_mail_with_the_broker_down_waits_in_the_outbox(desk, checked_out, mailoutbox):
    """The task queue is down when the receptionist presses "e-mail": the page answers, and
    the e-mail waits in the outbox for the sweep instead of being lost."""
    from core.models import OutboxMessage
    from tests.worker import broker_down

    desk.post(url(checked_out, "invoice/"), {"mode": "all"})
    invoice = Invoice.objects.get(folio=checked_out.folio)
    OutboxMessage.objects.all().delete()  # the issue's own e-mail (the guest has an address)
    with broker_down():
        response = desk.post(
            url(checked_out, "invoice/email/"),
            {"invoice": str(invoice.public_id), "email": "guest@example.com"},
            **HX,
        )
    assert response.status_code == 200
    assert f"{invoice.number} will be e-mailed to guest@example.com." in response.content.decode()
    message = OutboxMessage.objects.get(task=invoice_email_task.name)
    assert message.status == "pending" and message.kwargs["email"] == "guest@example.com"
    assert mailoutbox == []


def test_e_mail_to_a_bad_address_sends_nothing(
    desk, checked_out, eager, django_capture_on_commit_callbacks
):
    desk.post(url(checked_out, "invoice/"), {"mode": "all"})
    invoice = Invoice.objects.get(folio=checked_out.folio)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bad = desk.post(
            url(checked_out, "invoice/email/"),
            {"invoice": str(invoice.public_id), "email": "nope"},
            **HX,
        )
        unknown = desk.post(
            url(checked_out, "invoice/email/"), {"invoice": "garbage", "email": "a@b.fr"}, **HX
        )
    assert "is not a valid e-mail address." in bad.content.decode()
    assert "No such invoice." in unknown.content.decode()
    assert callbacks == [] and mail.outbox == []


def test_credit_notes_need_a_manager(client, desk, hotel, checked_out, manager):
    # given: an issued invoice
    desk.post(url(checked_out, "invoice/"), {"mode": "all"})
    invoice = Invoice.objects.get(folio=checked_out.folio)
    assert (
        f'data-testid="credit-{invoice.number}"' not in desk.get(url(checked_out)).content.decode()
    )
    # when: the receptionist tries anyway
    refused = desk.post(
        url(checked_out, "credit-note/"),
        {"invoice": str(invoice.public_id), "mode": "full", "reason": "Erreur"},
        **HX,
    )
    # then
    assert "Only a manager can issue a credit note." in refused.content.decode()
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 0
    # when: the manager credits 10.00 with a reason, then tries without one
    client.force_login(manager)
    assert f'data-testid="credit-{invoice.number}"' in client.get(url(checked_out)).content.decode()
    no_reason = client.post(
        url(checked_out, "credit-note/"),
        {"invoice": str(invoice.public_id), "mode": "amount", "amount": "10", "reason": ""},
        **HX,
    )
    partial = client.post(
        url(checked_out, "credit-note/"),
        {"invoice": str(invoice.public_id), "mode": "amount", "amount": "10", "reason": "Bruit"},
        **HX,
    )
    # then
    assert "A credit note needs a reason." in no_reason.content.decode()
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert (note.total, note.original, note.reason) == (Decimal("-10.00"), invoice, "Bruit")
    assert f"Credit note {note.number} issued (-€10.00)." in partial.content.decode()
    # and more than what is left is refused
    too_much = client.post(
        url(checked_out, "credit-note/"),
        {"invoice": str(invoice.public_id), "mode": "amount", "amount": "99999", "reason": "x"},
        **HX,
    )
    assert "more than what is left to credit" in too_much.content.decode()
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1


def test_full_credit_note_from_the_desk(client, hotel, checked_out, manager):
    client.force_login(manager)
    client.post(url(checked_out, "invoice/"), {"mode": "all"})
    invoice = Invoice.objects.get(folio=checked_out.folio)
    client.post(
        url(checked_out, "credit-note/"),
        {"invoice": str(invoice.public_id), "mode": "full", "reason": "Annulation"},
        **HX,
    )
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.total == -invoice.total
    page = client.get(url(checked_out)).content.decode()
    assert f'data-testid="pdf-{note.number}"' in page
    assert f'data-testid="credit-{invoice.number}"' not in page


# --- scoping and roles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action", ["move/", "extra/", "invoice/", "invoice/email/", "credit-note/", "payment/"]
)
def test_actions_on_another_propertys_reservation_are_not_found(
    client, other_hotel, in_house, action
):
    client.force_login(make_staff(other_hotel, Role.MANAGER, username="elsewhere"))
    assert client.post(url(in_house, action), **HX).status_code == 404


@pytest.mark.parametrize("action", ["move/", "extra/", "invoice/", "credit-note/"])
def test_a_waiter_cannot_use_the_desk_actions(client, waiter, in_house, action):
    client.force_login(waiter)
    assert client.post(url(in_house, action)).status_code == 403


# --- room grid and query counts ------------------------------------------------------------------


def test_room_grid_marks_ota_blocks_and_links_them(desk, hotel, rooms):
    # given: a stay imported from an Airbnb calendar (as channels_sync books it)
    from crm.services import guest_create
    from pms.services.reservations import RoomRequest, reservation_create

    today = hotel.business_date()
    res = reservation_create(
        property=hotel,
        guest=guest_create(organization=hotel.organization, last_name="Airbnb guest"),
        arrival=today + timedelta(days=2),
        departure=today + timedelta(days=4),
        rooms=[RoomRequest(rooms["classique"].pk, 1, 0)],
        channel=Channel.OTA,
        external_reference="abc@airbnb.com",
        notes="Airbnb: Reserved",
    )
    room_assign(reservation_room=res.rooms.get(), room=room(hotel, "104"))
    # when
    page = desk.get("/frontdesk/grid/").content.decode()
    # then
    assert page.count('data-testid="ota-block"') == 2
    assert f'href="/frontdesk/reservations/{res.reference}/" title="OTA block' in page
    assert ">Airbnb</a>" in page


def test_dashboard_query_count_does_not_grow_with_arrivals(
    desk, hotel, book, django_assert_max_num_queries
):
    for i in range(8):
        book("classique" if i % 2 else "superieure", nights=2, last_name=f"Client{i}")
    with django_assert_max_num_queries(12):
        page = desk.get("/frontdesk/").content.decode()
    assert page.count("Client") >= 8


def test_room_grid_query_count(desk, hotel, book, django_assert_max_num_queries):
    for i, number in enumerate(["101", "102", "103", "104"]):
        res = book("classique", nights=3, last_name=f"Grille{i}")
        room_assign(reservation_room=res.rooms.get(), room=room(hotel, number))
    with django_assert_max_num_queries(12):
        page = desk.get("/frontdesk/grid/").content.decode()
    assert "Grille3" in page


def test_folio_query_count(desk, hotel, in_house, product, django_assert_max_num_queries):
    for i in range(6):
        desk.post(
            url(in_house, "extra/"), {"product_id": product("cafe").pk, "quantity": "1", "key": i}
        )
    desk.post(url(in_house, "payment/"), {"amount": "5", "method": "cash"})
    with django_assert_max_num_queries(30):
        page = desk.get(url(in_house)).content.decode()
    assert page.count("Espresso") >= 6


def test_dashboard_lists_departures_and_guests_in_house_with_their_rooms(desk, hotel, rooms):
    # given: one guest leaves today, another stays two more nights
    from crm.services import guest_create
    from pms.services.reservations import RoomRequest, reservation_create

    today = hotel.business_date()

    def stay(last_name, number, departure):
        res = reservation_create(
            property=hotel,
            guest=guest_create(organization=hotel.organization, last_name=last_name),
            arrival=today - timedelta(days=1),
            departure=departure,
            rooms=[RoomRequest(rooms["classique"].pk, 1, 0)],
            channel=Channel.FRONT_DESK,
            allow_past=True,
        )
        reservation_check_in(
            reservation=res,
            assignments={res.rooms.get().pk: room(hotel, number).pk},
            allow_past=True,
        )
        return res

    leaving = stay("Partant", "101", today)
    staying = stay("Restant", "102", today + timedelta(days=2))
    # when
    page = desk.get("/frontdesk/").content.decode()
    departures = page.split('data-testid="departures"')[1].split("</section>")[0]
    in_house = page.split('data-testid="in-house"')[1].split("</section>")[0]
    # then
    assert leaving.reference in departures and "Partant" in departures
    assert '<td data-testid="rooms">101</td>' in departures
    assert staying.reference not in departures
    assert staying.reference in in_house and '<td data-testid="rooms">102</td>' in in_house
    assert leaving.reference not in in_house


def test_an_arrival_without_a_room_shows_its_room_type_by_name(desk, book, rooms):
    res = book("superieure", nights=1, last_name="Sanschambre")
    page = desk.get("/frontdesk/").content.decode()
    arrivals = page.split('data-testid="arrivals"')[1].split("</section>")[0]
    assert res.reference in arrivals
    assert f'<span class="muted">{rooms["superieure"]}</span>' in arrivals
    assert ">superieure<" not in arrivals
