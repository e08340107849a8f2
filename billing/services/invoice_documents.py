"""Invoice PDFs (WeasyPrint) rendered from the frozen invoice snapshot, and their e-mailing.

Nothing here reads the folio or the property: a reprint years later shows exactly what was
issued. Sending happens in a Celery task enqueued after commit (billing.tasks)."""

from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import Invoice
from billing.services.facturx import facturx_pdf, invoice_facturx_xml, invoice_is_business
from core.audit import audit_log
from core.exceptions import InvalidInput
from core.money import ZERO, quantize
from core.outbox import outbox_enqueue
from core.validators import email_address
from inventory.promotion_labels import discounts_for

TOURIST_TAX = "tourist_tax"
# How the PDF groups the lines (story S1): kind, heading, the revenue categories it holds.
# A category not listed falls under services.
LINE_GROUPS = (
    ("accommodation", gettext_lazy("Accommodation"), {"accommodation"}),
    ("food_drinks", gettext_lazy("Food & drinks"), {"food", "drinks", "alcohol"}),
    ("services", gettext_lazy("Services"), {"services"}),
    ("goods", gettext_lazy("Shop"), {"goods"}),
)
DEFAULT_GROUP = "services"


def line_groups(lines) -> list[dict]:
    """The sale lines by kind, in LINE_GROUPS order, each with its subtotals excl. and incl.
    VAT; empty kinds left out. The tourist tax is not a sale and is shown apart."""
    groups = {kind: {"kind": kind, "label": label, "lines": []} for kind, label, _c in LINE_GROUPS}
    kind_of = {cat: kind for kind, _label, cats in LINE_GROUPS for cat in cats}
    for line in lines:
        groups[kind_of.get(line.revenue_category, DEFAULT_GROUP)]["lines"].append(line)
    result = []
    for group in groups.values():
        if group["lines"]:
            group["net"] = sum((li.net for li in group["lines"]), ZERO)
            group["gross"] = sum((li.total for li in group["lines"]), ZERO)
            result.append(group)
    return result


def invoice_context(*, invoice: Invoice) -> dict:
    lines = list(invoice.lines.all())
    sale_lines, tax_lines = [], []
    for line in lines:
        if line.revenue_category == TOURIST_TAX:
            tax_lines.append(line)
            continue
        rate = Decimal(line.vat_rate)
        line.unit_net = quantize(line.unit_price * 100 / (100 + rate))
        sale_lines.append(line)
    # a discounted line names its promotion, from its frozen applied_rule
    discounts_for(property_id=invoice.property_id, lines=sale_lines)
    dates = [line.service_date for line in lines if line.service_date]
    vat_lines = list(invoice.vat_lines.all())
    buyer = invoice.buyer or {}
    return {
        "invoice": invoice,
        "seller": invoice.seller,
        "buyer": buyer,
        "buyer_siren": buyer.get("siren") or (buyer.get("siret") or "")[:9],
        "groups": line_groups(sale_lines),
        "tax_lines": tax_lines,
        "tax_total": sum((line.total for line in tax_lines), ZERO),
        "vat_lines": vat_lines,
        "sales_net": sum((row.net for row in vat_lines), ZERO),
        "sales_gross": sum((row.gross for row in vat_lines), ZERO),
        "service_start": min(dates) if dates else None,
        "service_end": max(dates) if dates else None,
    }


def invoice_pdf_render(*, invoice: Invoice, language: str | None = None) -> bytes:
    """The PDF of an issued invoice or credit note, from its stored snapshot: for a business
    customer a Factur-X e-invoice (PDF/A-3b with its EN 16931 XML), else a plain PDF.
    Raises FacturXError when a business customer's snapshot cannot make a valid XML."""
    from weasyprint import HTML

    language = language or invoice.property.default_language
    business = invoice_is_business(invoice)
    xml = invoice_facturx_xml(invoice, language=language) if business else None
    with translation.override(language):
        html = render_to_string(
            "billing/pdf/invoice.html",
            {
                **invoice_context(invoice=invoice),
                "LANGUAGE_CODE": language,
                "facturx": business,
            },
        )
    document = HTML(string=html, base_url=str(settings.BASE_DIR))
    if xml is None:
        return document.write_pdf()
    pdf = document.write_pdf(pdf_variant="pdf/a-3b")
    return facturx_pdf(pdf=pdf, xml=xml, invoice=invoice, language=language)


def invoice_pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"


# (invoice, language) -> (subject, body) or None: a higher app's wording of the invoice
# e-mail (pms registers the property's guest e-mail template); billing imports no pms
_EMAIL_TEXT_HOOKS: list = []


def invoice_email_text_register(hook) -> None:
    """Let a higher app word the invoice e-mail (called once, from its AppConfig.ready)."""
    if hook not in _EMAIL_TEXT_HOOKS:
        _EMAIL_TEXT_HOOKS.append(hook)


def _email_text(invoice: Invoice, language: str) -> tuple[str, str] | None:
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        return None
    for hook in _EMAIL_TEXT_HOOKS:
        text = hook(invoice=invoice, language=language)
        if text is not None:
            return text
    return None


def invoice_email_send(*, invoice: Invoice, email: str = "") -> bool:
    """E-mail the PDF to the invoice's recipient (snapshotted at issue), or to `email` (the
    front desk resending to an address given later). False when there is no address.
    Not transactional: call it from a task after commit."""
    recipient = email or invoice.email
    if not recipient:
        return False
    language = invoice.guest.language if invoice.guest_id else invoice.property.default_language
    pdf = invoice_pdf_render(invoice=invoice, language=language)
    worded = _email_text(invoice, language)
    with translation.override(language):
        subject = (
            _("Your credit note %(number)s")
            if invoice.kind == Invoice.Kind.CREDIT_NOTE
            else _("Your invoice %(number)s")
        ) % {"number": invoice.number}
        body = _("Please find attached document %(number)s from %(seller)s.") % {
            "number": invoice.number,
            "seller": invoice.seller.get("name", ""),
        }
    if worded is not None:
        subject, body = worded
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        reply_to=[invoice.seller["email"]] if invoice.seller.get("email") else None,
    )
    message.attach(invoice_pdf_filename(invoice), pdf, "application/pdf")
    message.send()
    return True


def invoice_email_enqueue(*, invoice: Invoice, email: str = "") -> None:
    """Send the invoice's PDF after commit, through the outbox: a broker down when the
    invoice is issued or the button pressed delays the e-mail, never loses it or the page."""
    outbox_enqueue(
        task="billing.tasks.invoice_email_task",
        kwargs={"invoice_id": invoice.pk, "email": email},
        property=invoice.property,
    )


def invoice_email_request(*, invoice: Invoice, email: str, actor) -> str:
    """The front desk's "e-mail it": to `email`, else the address snapshotted on the invoice;
    checked, recorded in the audit trail, sent after commit. Returns the address used.
    Raises InvalidInput (no address, or not a valid one)."""
    email = (email or "").strip().lower() or invoice.email
    if not email:
        raise InvalidInput(_("Enter the guest's e-mail address."))
    email = email_address(email)
    with transaction.atomic():
        audit_log(
            action="billing.invoice.email_requested",
            property=invoice.property,
            actor=actor,
            target=invoice,
            data={"email": email},
        )
        invoice_email_enqueue(invoice=invoice, email=email)
    return email
