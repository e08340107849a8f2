"""Consent as asked, the personal-data export and the erasure: no personal data left in a
non-fiscal table (a scan of every text column), the journal still verifies, refused while a
stay is in progress or a balance is open."""

import json
from decimal import Decimal

import pytest
from django.db import connection

from billing.services.invoices import invoice_issue
from billing.services.payments import TenderInput, folio_settle
from billing.services.verification import property_verify
from core.models import AuditEntry
from crm.models import Consent, Guest
from crm.services import guest_identity_update
from crm.services.gdpr import ErasureRefused, consent_record, guest_erase, guest_export
from crm.services.gift_cards import gift_card_issue
from pms.models import Reservation
from pos.services.checkout import order_checkout
from tests.factories.stays import make_stay
from tests.pos.helpers import line

WORDING = "J'accepte de recevoir les offres de l'hôtel par e-mail."
# what must not survive outside the fiscal documents
NAME, EMAIL, PHONE = "Zyxwandor", "zyx.wandor@example.org", "+33 6 98 76 54 32"
FISCAL_TABLES = {
    "billing_ticket",
    "billing_ticketline",
    "billing_ticketvat",
    "billing_payment",
    "billing_journalentry",
    "billing_invoice",
    "billing_invoiceline",
    "billing_invoicevat",
    "billing_closure",
    "billing_folioline",
}


def _tables_holding(*needles: str) -> set[str]:
    """Every non-fiscal table with a text or JSON column containing one of `needles`."""
    found = set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() "
            "AND data_type IN ('character varying', 'text', 'jsonb', 'json')"
        )
        columns = cursor.fetchall()
        for table, column in columns:
            if table in FISCAL_TABLES:
                continue
            for needle in needles:
                cursor.execute(
                    f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',
                    [f"%{needle}%"],
                )
                if cursor.fetchone():
                    found.add(f"{table}.{column}")
    return found


@pytest.fixture
def past_guest(hotel, catalog, product, terminal, cashier, manager):
    """A guest who stayed, ate at the bar, paid, was invoiced and opted in."""
    stay = make_stay(hotel, room_number="12", last_name=NAME)
    guest = stay.reservation.guest
    guest_identity_update(
        guest=guest, last_name=NAME, first_name="Ada", email=EMAIL, phone=PHONE, actor=manager
    )
    Reservation.objects.filter(pk=stay.reservation.pk).update(notes=f"{NAME} allergic to nuts")
    consent_record(
        guest=guest, given=True, source="check_in", wording=WORDING, property=hotel, actor=manager
    )
    order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=[line(product("spritz"))],
        room_number="12",
    )
    folio = stay.reservation.folio
    invoice = invoice_issue(folio=folio, actor=manager)
    folio_settle(
        property=hotel,
        folio=folio,
        tenders=[TenderInput(method="card", amount=invoice.total, terminal_reference="TPE-1")],
        actor=manager,
    )
    return stay.reservation, Guest.objects.get(pk=guest.pk), invoice


def test_consent_keeps_the_wording_and_the_latest_answer_counts(hotel, past_guest, manager):
    _reservation, guest, _invoice = past_guest
    assert guest.marketing_opt_in
    consent_record(guest=guest, given=False, source="unsubscribe", wording="Se désabonner")
    guest.refresh_from_db()
    assert not guest.marketing_opt_in
    assert list(Consent.objects.values_list("given", "source", "wording")) == [
        (False, "unsubscribe", "Se désabonner"),
        (True, "check_in", WORDING),
    ]
    from core.exceptions import InvalidInput

    with pytest.raises(InvalidInput, match="wording"):
        consent_record(guest=guest, given=True, source="pos", wording=" ")


def test_the_export_holds_the_profile_stays_folios_and_consents(hotel, past_guest, manager):
    reservation, guest, invoice = past_guest
    data = json.loads(json.dumps(guest_export(guest=guest, actor=manager)))
    assert data["profile"]["email"] == EMAIL
    assert data["consents"][0]["wording"] == WORDING
    assert data["stays"][0]["reference"] == reservation.reference
    assert data["invoices"][0]["number"] == invoice.number
    assert AuditEntry.objects.filter(action="crm.guest.exported").exists()


def test_an_erasure_leaves_no_personal_data_outside_fiscal_documents(hotel, past_guest, manager):
    reservation, guest, invoice = past_guest
    Reservation.objects.filter(pk=reservation.pk).update(status=Reservation.Status.CHECKED_OUT)
    assert _tables_holding(NAME, EMAIL)  # the scan finds them before

    guest_erase(guest=guest, actor=manager, reason="guest's e-mail of 2 Dec")

    assert _tables_holding(NAME, EMAIL, "98 76 54 32", "allergic") == set()
    assert not property_verify(property=hotel).problems
    invoice.refresh_from_db()
    assert invoice.buyer["name"].endswith(NAME)  # the law keeps the invoice as issued
    guest.refresh_from_db()
    assert guest.last_name == "—" and not guest.marketing_opt_in
    assert AuditEntry.objects.filter(action="crm.guest.erased").exists()


def test_an_erasure_is_refused_during_a_stay_or_with_an_open_balance(hotel, catalog, manager):
    stay = make_stay(hotel, room_number="14", last_name=NAME)
    guest = stay.reservation.guest
    with pytest.raises(ErasureRefused, match="staying with us"):
        guest_erase(guest=guest, actor=manager)
    Reservation.objects.filter(pk=stay.reservation.pk).update(status=Reservation.Status.CHECKED_OUT)
    gift_card_issue(
        property=hotel, amount=Decimal("10"), kind="multi_purpose", source="g", guest=guest
    )
    with pytest.raises(ErasureRefused, match="gift card"):
        guest_erase(guest=guest, actor=manager)
    guest.refresh_from_db()
    assert guest.last_name == NAME
