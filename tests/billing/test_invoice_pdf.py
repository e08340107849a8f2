"""Invoice PDF from the stored snapshot, e-mailed after commit."""

import subprocess
from decimal import Decimal

import pytest
from django.core import mail

from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoice_documents import invoice_pdf_render
from billing.services.invoices import credit_note_issue, invoice_issue
from crm.models import Guest

pytestmark = pytest.mark.django_db
D = Decimal


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def eager(celery_eager):
    """The e-mail task runs in-process when the outbox publishes it on commit (no broker)."""


@pytest.fixture
def folio(hotel):
    hotel.legal_name, hotel.siret, hotel.vat_number = (
        "SARL Les Pins",
        "12345678900012",
        "FR12345678901",
    )
    hotel.email = "hello@lespins.example"
    hotel.save()
    guest = Guest.objects.create(
        organization=hotel.organization,
        last_name="Dupont",
        first_name="Jeanne",
        email="jeanne@example.com",
        language="en",
    )
    folio = folio_open(property=hotel, holder_name="Jeanne Dupont", guest=guest)
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput(
                "Double room", D("2"), D("110.00"), D("220.00"), D("10.00"), "room", source="n"
            ),
            ChargeInput(
                "Spa massage", D("1"), D("120.00"), D("120.00"), D("20.00"), "spa", source="s"
            ),
            ChargeInput(
                "Tourist tax 2 nights",
                D("2"),
                D("1.65"),
                D("3.30"),
                D("0"),
                "tourist_tax",
                source="t",
            ),
        ],
    )
    return folio


def test_pdf_shows_number_vat_breakdown_and_totals(folio, manager, tmp_path):
    invoice = invoice_issue(folio=folio, actor=manager)

    text = pdf_text(invoice_pdf_render(invoice=invoice, language="en"), tmp_path)

    assert invoice.number in text
    assert "12345678900012" in text and "FR12345678901" in text
    assert "200.00" in text and "20.00" in text and "220.00" in text  # VAT 10 %
    assert "100.00" in text and "120.00" in text  # VAT 20 %
    assert "343.30" in text  # total incl. tourist tax
    assert "Tourist tax" in text and "3.30" in text


def test_invoice_is_emailed_only_after_commit(
    folio, manager, eager, django_capture_on_commit_callbacks, tmp_path
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invoice = invoice_issue(folio=folio, actor=manager)
        assert mail.outbox == []
    for callback in callbacks:
        callback()

    (message,) = mail.outbox
    assert message.to == ["jeanne@example.com"] and invoice.number in message.subject
    name, content, mimetype = message.attachments[0]
    assert name == f"{invoice.number}.pdf" and mimetype == "application/pdf"
    assert invoice.number in pdf_text(content, tmp_path)


def test_credit_note_pdf_references_the_invoice(folio, manager, tmp_path):
    invoice = invoice_issue(folio=folio, actor=manager)
    note = credit_note_issue(invoice=invoice, actor=manager, reason="Billing error")

    text = pdf_text(invoice_pdf_render(invoice=note, language="en"), tmp_path)

    assert note.number in text and invoice.number in text and "-€343.30" in text
