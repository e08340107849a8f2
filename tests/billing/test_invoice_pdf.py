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


@pytest.fixture
def family_folio(hotel):
    """Story S1: the room, breakfast, an aperitif charged to the room, a spa treatment and
    the tourist tax on one folio."""
    folio = folio_open(property=hotel, holder_name="Famille Martin")
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput("Chambre familiale", D("2"), D("150.00"), D("300.00"), D("10.00"),
                        "accommodation", source="n"),
            ChargeInput("Petit-déjeuner", D("4"), D("14.00"), D("56.00"), D("10.00"), "food",
                        source="b"),
            ChargeInput("Pastis", D("2"), D("6.00"), D("12.00"), D("20.00"), "alcohol",
                        source="a"),
            ChargeInput("Jus d'orange", D("2"), D("4.50"), D("9.00"), D("10.00"), "drinks",
                        source="j"),
            ChargeInput("Massage 60 min", D("1"), D("90.00"), D("90.00"), D("20.00"),
                        "services", source="s"),
            ChargeInput("Taxe de séjour", D("4"), D("1.65"), D("6.60"), D("0"), "tourist_tax",
                        source="t"),
        ],
    )  # fmt: skip
    return folio


def section(text: str, start: str, end: str) -> str:
    assert start in text and end in text, text
    return text[text.index(start) : text.index(end)]


@pytest.mark.parametrize(
    "language, headings, subtotal",
    [
        ("en", ["Accommodation", "Food & drinks", "Services", "Tourist tax"], "Subtotal"),
        ("fr", ["Hébergement", "Restauration et boissons", "Services", "Taxe de séjour ("],
         "Sous-total"),
    ],
)  # fmt: skip
def test_pdf_groups_lines_by_kind_with_subtotals(
    family_folio, manager, tmp_path, language, headings, subtotal
):
    invoice = invoice_issue(folio=family_folio, actor=manager)

    text = pdf_text(invoice_pdf_render(invoice=invoice, language=language), tmp_path)
    normal = text.replace(",", ".")

    rooms, food, services, tax = (
        section(normal, headings[0], headings[1]),
        section(normal, headings[1], headings[2]),
        section(normal, headings[2], headings[3]),
        section(normal, headings[3], "VAT 20%" if language == "en" else "TVA 20 %"),
    )
    assert "Chambre familiale" in rooms and "Petit" not in rooms
    assert all(name in food for name in ("Petit-déjeuner", "Pastis", "Jus d'orange"))
    assert "Massage" in services and "Pastis" not in services
    assert "Taxe de séjour" in tax and "6.60" in tax
    # each kind closes with its subtotal excl. and incl. VAT
    assert f"{subtotal} {headings[0]}" in rooms and "272.73" in rooms and "300.00" in rooms
    assert f"{subtotal} {headings[1]}" in food  # 56 + 12 + 9 = 77.00 incl. VAT
    assert "77.00" in food.split(subtotal)[-1]
    assert "75.00" in services.split(subtotal)[-1] and "90.00" in services.split(subtotal)[-1]
    # then the VAT breakdown per rate, and the total with the tourist tax
    percent = "%" if language == "en" else " %"  # 20% in English, 20 % in French
    assert f"10{percent}" in normal and f"20{percent}" in normal
    assert "473.60" in normal  # 300 + 77 + 90 + 6.60
