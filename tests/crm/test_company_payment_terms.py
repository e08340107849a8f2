"""Issue 21: a company's payment terms (days) set on /manage/companies/; an invoice to the
company is due that many days after its date, says so on its PDF and in its Factur-X, and
keeps that due date whatever the terms become later."""

import io
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from billing.services.facturx import invoice_facturx_data
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoice_documents import invoice_pdf_render
from billing.services.invoices import credit_note_issue, invoice_issue
from core.models import AuditEntry, Role
from crm.models import Company
from tests.crm.test_companies_manage import NEW
from tests.factories.core import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client, hotel):
    user = make_staff(hotel, Role.MANAGER, username="boss", pin="666666")
    client.force_login(user)
    return user


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def company_folio(hotel):
    folio = folio_open(property=hotel, holder_name="Paul Roux")
    charge = ChargeInput("Chambre double", D(1), D(110), D(110), D(10), "accommodation", source="n")
    folio_post_charges(folio=folio, charges=[charge])
    return folio


def test_terms_set_on_screen_give_the_invoice_its_due_date(client, boss, hotel, manager):
    assert (
        client.post(reverse("companies:new"), {**NEW, "payment_terms_days": "30"}).status_code
        == 302
    )
    company = Company.objects.get(organization=hotel.organization)
    assert company.payment_terms_days == 30
    entry = AuditEntry.objects.get(action="crm.company.created")
    assert entry.data["after"]["payment_terms_days"] == 30

    invoice = invoice_issue(folio=company_folio(hotel), actor=manager, company=company)
    assert invoice.due_date == invoice.issue_date + timedelta(days=30)
    text = pdf_text(invoice_pdf_render(invoice=invoice, language="fr"))
    due = f"{invoice.due_date:%d/%m/%Y}"
    assert f"Date d’échéance : {due}" in text or f"Date d’échéance: {due}" in text
    assert f"au plus tard le {due} (30 jours" in text.replace("\n", " ")
    data = invoice_facturx_data(invoice)
    assert data["BT-9"] == invoice.due_date and "30" in data["BT-20"]

    # the terms changed later never move an issued invoice's due date
    company.payment_terms_days = 45
    company.save()
    invoice.refresh_from_db()
    assert invoice.due_date == invoice.issue_date + timedelta(days=30)
    # the credit note is no invoice to pay: no due date on it
    credit = credit_note_issue(invoice=invoice, actor=manager, reason="Erreur")
    assert "échéance" not in pdf_text(invoice_pdf_render(invoice=credit, language="fr"))


def test_without_terms_a_company_invoice_is_due_on_receipt(hotel, manager):
    company = Company.objects.create(organization=hotel.organization, name="Sans délai")
    invoice = invoice_issue(folio=company_folio(hotel), actor=manager, company=company)
    assert invoice.due_date == timezone.localdate()
    text = pdf_text(invoice_pdf_render(invoice=invoice, language="fr"))
    assert "à réception" in text and "au plus tard" not in text


@pytest.mark.parametrize("terms", ["90", "-5", "trente"])
def test_terms_beyond_the_legal_60_days_or_not_a_number_are_refused(client, boss, hotel, terms):
    client.cookies["django_language"] = "fr"
    response = client.post(reverse("companies:new"), {**NEW, "payment_terms_days": terms})
    assert response.status_code == 422
    assert 'data-testid="form-error"' in response.content.decode()
    assert not Company.objects.exists() and not AuditEntry.objects.exists()
