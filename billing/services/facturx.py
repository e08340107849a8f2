"""Factur-X e-invoices (BIL-8): the invoice's CII XML at the EN 16931 profile, embedded in its
PDF/A-3, for business customers (docs/fiscal.md, "Factur-X").

The XML is built from the invoice's frozen snapshot only (seller, buyer, lines, VAT rows,
payments), like the PDF: a reprint years later carries the same data. The `factur-x` library
(Akretion) writes the CII XML from a dictionary keyed by the EN 16931 terms (BT-1, BG-25…),
checks it against the XSD, and embeds it with the Factur-X XMP metadata into the PDF/A-3b
that WeasyPrint renders (REFERENCE §8.3). Nothing goes over the network: the optional
Schematron check of the library needs a Saxon server and stays off.

Choices (amounts are the invoice's, to the cent):
- a credit note is type 381 with positive amounts (the type says it is a credit), and
  references the invoice it corrects (BG-3);
- the tourist tax, collected for the commune and outside the VAT base, is a line in the VAT
  category "E" at 0 % with its reason (a category "O" line may not sit beside taxed lines,
  BR-O-11); so the document's totals equal the invoice's, tourist tax included;
- the invoice is due on receipt: due date = issue date, and the payment terms say so.
"""

from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from billing.models import Invoice
from core.exceptions import DomainError
from core.money import ZERO

LEVEL = "en16931"
XML_FILENAME = "factur-x.xml"
TOURIST_TAX = "tourist_tax"
TYPE_INVOICE, TYPE_CREDIT_NOTE = "380", "381"
# ISO/IEC 6523 scheme of the French SIREN (legal registration identifier, BT-30 / BT-47)
SIREN_SCHEME = "0002"
# UN/ECE Recommendation 20 unit: "one" (a night, a meal, a treatment: each line counts units)
UNIT = "C62"


class FacturXError(DomainError):
    status_code = 409
    code = "facturx_incomplete"


def invoice_is_business(invoice: Invoice) -> bool:
    """True when the invoice is issued as Factur-X (`Invoice.is_e_invoice`)."""
    return invoice.is_e_invoice


def _siren(party: dict) -> str:
    return (party.get("siren") or (party.get("siret") or "")[:9]).strip()


def _address(party: dict, *, street: str) -> dict:
    lines = [line.strip() for line in (street or "").splitlines() if line.strip()]
    address = {"country_code": (party.get("country") or "FR").upper()}
    for key, line in zip(("addr_l1", "addr_l2", "addr_l3"), lines, strict=False):
        address[key] = line
    if party.get("postal_code"):
        address["postcode"] = party["postal_code"]
    if party.get("city"):
        address["city"] = party["city"]
    return address


def _party(party: dict, *, name: str, street: str, trading_name: str = "") -> dict:
    data = {"name": name, **_address(party, street=street)}
    siren = _siren(party)
    if siren:
        data["legal_identifier"] = siren
        data["legal_identifier_schemeid"] = SIREN_SCHEME
    if party.get("vat_number"):
        data["vat_identifier"] = party["vat_number"].replace(" ", "")
    if trading_name and trading_name != name:
        data["biz_name"] = trading_name
    if party.get("email"):
        data["contacts"] = [{"email": party["email"]}]
    return data


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _category(rate: Decimal, *, tourist_tax: bool) -> tuple[str, str]:
    """(VAT category code, exemption reason) of a line or a VAT row."""
    if tourist_tax:
        return "E", _("Tourist tax collected for the municipality, outside the scope of VAT")
    if rate > 0:
        return "S", ""
    return "E", _("Exempt from VAT")


def _line(index: int, line, sign: int) -> dict:
    """One invoice line (BG-25). The net price is never negative (BR-27): a negative line
    carries a negative quantity."""
    net = sign * line.net
    quantity = abs(line.quantity) or Decimal("1")
    if net < 0:
        quantity = -quantity
    rate = Decimal(line.vat_rate)
    code, _reason = _category(rate, tourist_tax=line.revenue_category == TOURIST_TAX)
    data = {
        "BT-126": str(index),
        "BT-153": line.description[:300] or "-",
        "BT-129": f"{quantity:f}",
        "BT-130": UNIT,
        "BT-131": _money(net),
        "BT-146": f"{(abs(net) / abs(quantity)).quantize(Decimal('0.0001')):f}",
        "BT-151": code,
        "BT-152": f"{rate:.2f}",
    }
    if line.service_date:
        data["BT-134"] = line.service_date
        data["BT-135"] = line.service_date
    return data


def _vat_breakdown(invoice: Invoice, lines: list, sign: int) -> list[dict]:
    """BG-23, one row per category and rate: the invoice's own VAT rows, and the tourist tax
    as an exempt row at 0 % (merged with an exempt sale row if there is one)."""
    rows: dict[tuple[str, Decimal], dict] = {}
    for vat in invoice.vat_lines.all():
        code, reason = _category(Decimal(vat.rate), tourist_tax=False)
        rows[(code, Decimal(vat.rate))] = {
            "basis": sign * vat.net,
            "vat": sign * vat.vat,
            "reasons": [reason] if reason else [],
        }
    tax = sign * sum((li.net for li in lines if li.revenue_category == TOURIST_TAX), ZERO)
    if any(li.revenue_category == TOURIST_TAX for li in lines):
        code, reason = _category(ZERO, tourist_tax=True)
        row = rows.setdefault((code, Decimal("0.00")), {"basis": ZERO, "vat": ZERO, "reasons": []})
        row["basis"] += tax
        row["reasons"].append(reason)
    breakdown = []
    for (code, rate), row in sorted(rows.items(), key=lambda item: -item[0][1]):
        entry = {
            "BT-116": _money(row["basis"]),
            "BT-117": _money(row["vat"]),
            "BT-118": code,
            "BT-119": f"{rate:.2f}",
        }
        if row["reasons"]:
            entry["BT-120"] = "; ".join(row["reasons"])
        breakdown.append(entry)
    return breakdown


def _payment_terms(invoice: Invoice, credit: bool) -> str:
    """BT-20, as the PDF says it: the company's terms, else on receipt."""
    days = (invoice.buyer or {}).get("payment_terms_days")
    if credit or not days or invoice.due_date is None:
        return _("Payment due on receipt.")
    return _("Payment due by %(date)s (%(days)s days after the invoice date).") % {
        "date": f"{invoice.due_date:%d/%m/%Y}",
        "days": days,
    }


def invoice_facturx_data(invoice: Invoice) -> dict:
    """The invoice as the `factur-x` library's dictionary of EN 16931 terms."""
    seller, buyer = invoice.seller or {}, invoice.buyer or {}
    credit = invoice.kind == Invoice.Kind.CREDIT_NOTE
    sign = -1 if credit else 1
    lines = list(invoice.lines.all())
    line_nets = sign * sum((li.net for li in lines), ZERO)
    total = sign * invoice.total
    paid = invoice.paid if not credit else ZERO
    data = {
        "BT-1": invoice.number,
        "BT-2": invoice.issue_date,
        "BT-3": TYPE_CREDIT_NOTE if credit else TYPE_INVOICE,
        "BT-5": invoice.currency,
        "BT-9": (not credit and invoice.due_date) or invoice.issue_date,
        "BT-20": _payment_terms(invoice, credit),
        "BG-4": _party(
            seller,
            name=seller.get("legal_name") or seller.get("name") or "-",
            street=seller.get("address", ""),
            trading_name=seller.get("name", ""),
        ),
        "BG-7": _party(buyer, name=buyer.get("name") or "-", street=buyer.get("address", "")),
        "BG-23": _vat_breakdown(invoice, lines, sign),
        "BG-25": [_line(i, line, sign) for i, line in enumerate(lines, start=1)],
        "BT-106": _money(line_nets),
        "BT-109": _money(line_nets),
        "BT-110": _money(sign * invoice.vat_total),
        "BT-112": _money(total),
        "BT-113": _money(paid),
        "BT-115": _money(total - paid),
    }
    dates = [li.service_date for li in lines if li.service_date]
    if dates:
        data["BT-73"], data["BT-74"] = min(dates), max(dates)
    # the delivery block may not be empty: the (last) day the services were supplied
    data["BT-72"] = max(dates) if dates else invoice.business_date
    notes = []
    if buyer.get("guest"):
        notes.append({"BT-22": f"{_('Guest')}: {buyer['guest']}"})  # as the PDF says it
    if credit:
        if invoice.reason:
            notes.append({"BT-22": _("Reason: %(reason)s") % {"reason": invoice.reason}})
        if invoice.original_id:
            data["BG-3"] = [
                {"BT-25": invoice.original.number, "BT-26": invoice.original.issue_date}
            ]
    if buyer.get("type") == "company":
        notes.append(
            {
                "BT-21": "PMT",
                "BT-22": _(
                    "Late-payment penalties: three times the legal interest rate, plus a "
                    "fixed indemnity of €40 for recovery costs (French Commercial Code, art. "
                    "L441-10). No discount for early payment."
                ),
            }
        )
    if notes:
        data["BG-1"] = notes
    return data


def invoice_facturx_xml(invoice: Invoice, *, language: str | None = None) -> bytes:
    """The CII XML (EN 16931 profile), checked against the Factur-X XSD.
    Raises FacturXError when the snapshot cannot make a valid e-invoice."""
    from facturx import generate_cii_xml

    language = language or invoice.property.default_language
    with translation.override(language):  # the document's language, not the reader's
        data = invoice_facturx_data(invoice)
    try:
        return generate_cii_xml(data, level=LEVEL, check_xsd=True, check_schematron=False)
    except Exception as exc:  # the library raises plain Exception/ValueError on bad data
        raise FacturXError(
            _("This invoice cannot be made a Factur-X e-invoice: %(error)s") % {"error": exc}
        ) from exc


def facturx_pdf(*, pdf: bytes, xml: bytes, invoice: Invoice, language: str) -> bytes:
    """Embed the XML and the Factur-X XMP metadata in a PDF/A-3b."""
    from facturx import generate_from_binary

    seller = (invoice.seller or {}).get("legal_name") or (invoice.seller or {}).get("name", "")
    with translation.override(language):
        kind = _("Credit note") if invoice.kind == Invoice.Kind.CREDIT_NOTE else _("Invoice")
    title = f"{seller}: {kind} {invoice.number}"
    try:
        return generate_from_binary(
            pdf,
            xml,
            flavor="factur-x",
            level=LEVEL,
            check_xsd=True,
            check_schematron=False,
            lang="fr-FR" if language == "fr" else "en-GB",
            pdf_metadata={
                "author": seller,
                "keywords": "Factur-X, EN 16931",
                "title": title,
                "subject": title,
            },
        )
    except Exception as exc:
        raise FacturXError(
            _("This invoice cannot be made a Factur-X e-invoice: %(error)s") % {"error": exc}
        ) from exc
