"""What the accountant reads: a credited invoice says so, and closures are named by their
period in the reader's language, never by an ISO date."""

from decimal import Decimal

import pytest

from billing.models import Closure
from billing.services.closures import closure_run
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoices import credit_note_issue, invoice_issue
from core import formatting
from core.models import Role
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db
D = Decimal


def night(source):
    return ChargeInput(
        description="Chambre double",
        quantity=D("1"),
        unit_price=D("110.00"),
        total=D("110.00"),
        vat_rate=D("10.00"),
        revenue_category="accommodation",
        source=source,
    )


@pytest.fixture
def accountant(client, hotel):
    client.force_login(make_staff(hotel, Role.ACCOUNTANT, username="compta"))
    return client


def invoices_page(client, hotel, language="en"):
    client.cookies["django_language"] = language
    day = hotel.business_date().isoformat()
    return client.get(f"/billing/accounting/?start={day}&end={day}&documents=invoices").content


def test_a_credited_invoice_shows_credited_and_a_partly_credited_one_says_so(
    accountant, hotel, manager
):
    # given: two invoices, one credited in full, one for 10 €
    full, part = (folio_open(property=hotel, holder_name=n) for n in ("Dupont", "Martin"))
    folio_post_charges(folio=full, charges=[night("pms.night:1:a")])
    folio_post_charges(folio=part, charges=[night("pms.night:2:a")])
    credited = invoice_issue(folio=full, actor=manager)
    partly = invoice_issue(folio=part, actor=manager)
    credit_note_issue(invoice=credited, actor=manager, reason="Annulation")
    credit_note_issue(invoice=partly, actor=manager, reason="Geste", amount=D("10.00"))
    # when
    page = invoices_page(accountant, hotel).decode()
    # then
    states = [chunk.split("</td>")[0] for chunk in page.split('data-testid="invoice-state">')[1:]]
    assert sorted(states) == ["Credited", "Partly credited"]
    french = invoices_page(accountant, hotel, "fr").decode()
    assert "Annulée par avoir" in french and "Avoir partiel" in french


def test_closures_are_named_by_their_period_in_the_readers_language(accountant, hotel):
    today = hotel.business_date()
    closure_run(property=hotel, period=Closure.Period.DAY, day=today)
    for language, name in (("fr", "Journalière"), ("en", "Daily")):
        accountant.cookies["django_language"] = language
        page = accountant.get("/billing/accounting/").content.decode()
        assert f"{name} {formatting.day(today, language=language)}" in page
        assert f"{name} {today.isoformat()}" not in page
