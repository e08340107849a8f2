"""Invoices and credit notes (French invoicing rules): numbered without gaps per series, frozen at
issue (insert-only rows), journaled in the fiscal chain.

Numbering: one series per property, document kind and year — "F2026-000001" for invoices,
"A2026-000001" for credit notes (avoirs) — taken with `sequence_next` inside the issuing
transaction, so a rolled-back issue gives its number back.
"""

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Folio, FolioLine, Invoice, InvoiceLine, InvoiceVat, JournalEntry
from billing.services.invoice_documents import invoice_email_enqueue
from billing.services.journal import journal_append, vat_json
from billing.services.seals import invoice_seal
from billing.services.sequences import sequence_next
from core.audit import audit_log
from core.exceptions import InvalidInput, NotFound
from core.money import ZERO, quantize, vat_from_gross
from webhooks.services import webhook_emit

TOURIST_TAX = "tourist_tax"
# Folio lines posted by a POS charge-to-room: their ticket was already journaled as a receipt.
RECEIPTED_SOURCE_PREFIX = "pos.ticketline:"
PREFIXES = {Invoice.Kind.INVOICE: "F", Invoice.Kind.CREDIT_NOTE: "A"}


def _number(*, property, kind: str, year: int) -> tuple[str, int, str]:
    series = f"{kind}-{year}"
    sequence = sequence_next(property=property, series=series)
    return series, sequence, f"{PREFIXES[kind]}{year}-{sequence:06d}"


def seller_snapshot(property) -> dict:
    """The seller's identity as printed (the legal mentions a French invoice carries)."""
    return {
        "name": property.name,
        "legal_name": property.legal_name,
        "address": property.address_line,
        "postal_code": property.postal_code,
        "city": property.city,
        "country": property.country,
        "siret": property.siret,
        "siren": property.siret[:9],
        "vat_number": property.vat_number,
        "classification": str(property.get_classification_display()),
        "email": property.email,
        "phone": property.phone,
        # the hotel's own legal mentions (legal form, capital, RCS, bank…), frozen at issue
        "invoice_footer": property.invoice_footer,
    }


def _buyer_snapshot(*, folio: Folio, company) -> dict:
    if company is not None:
        return {
            "type": "company",
            "name": company.name,
            "address": company.address,
            "postal_code": company.postal_code,
            "city": company.city,
            "country": company.country,
            "vat_number": company.vat_number,
            "siren": company.legal_id,
            "siret": company.siret,
            "email": company.email,
            "guest": folio.holder_name,
            # None: due on receipt; the due date itself is set at issue (_create_document)
            "payment_terms_days": company.payment_terms_days,
        }
    guest = folio.guest
    return {
        "type": "guest",
        "name": folio.holder_name,
        "address": "",
        "vat_number": "",
        "siret": "",
        "email": guest.email if guest is not None else "",
        "guest": folio.holder_name,
    }


def _vat_rows(lines) -> list[tuple[Decimal, Decimal, Decimal, Decimal]]:
    """(rate, net, vat, gross) per rate, highest first; tourist tax stays outside VAT."""
    rows: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        if line.revenue_category == TOURIST_TAX:
            continue
        row = rows.setdefault(Decimal(line.vat_rate), [ZERO, ZERO, ZERO])
        row[0] += line.net
        row[1] += line.vat_amount
        row[2] += line.total
    return [(rate, *rows[rate]) for rate in sorted(rows, reverse=True)]


def folio_lines_not_invoiced(*, folio: Folio) -> list[FolioLine]:
    """Folio lines on no standing invoice: never invoiced, or invoiced then credited line by
    line (so a credited line can be invoiced again, e.g. to a company)."""
    return list(
        folio.lines.annotate(
            invoiced=Count(
                "invoice_lines", filter=Q(invoice_lines__invoice__kind=Invoice.Kind.INVOICE)
            ),
            credited=Count(
                "invoice_lines", filter=Q(invoice_lines__invoice__kind=Invoice.Kind.CREDIT_NOTE)
            ),
        )
        .filter(invoiced__lte=F("credited"))
        .order_by("service_date", "pk")
    )


def _create_document(
    *,
    folio: Folio,
    kind: str,
    actor,
    company,
    lines: list[InvoiceLine],
    original: Invoice | None = None,
    reason: str = "",
    journal_gross: Decimal,
    journal_lines: list[InvoiceLine],
    payload: dict,
) -> Invoice:
    property = folio.property
    business_date = property.business_date()
    series, sequence, number = _number(property=property, kind=kind, year=business_date.year)
    vat_rows = _vat_rows(lines)
    total = sum((line.total for line in lines), ZERO)
    tourist_tax = sum((li.total for li in lines if li.revenue_category == TOURIST_TAX), ZERO)
    vat_total = sum((row[2] for row in vat_rows), ZERO)
    payments, paid = [], ZERO
    if kind == Invoice.Kind.INVOICE:
        payments, paid = _payments_for(folio=folio, total=total)
    buyer = (
        original.buyer if original is not None else _buyer_snapshot(folio=folio, company=company)
    )
    issue_date = timezone.localdate()
    if original is None and buyer.get("type") == "company":
        # frozen with the buyer (and so sealed): the company's terms changed later never move it
        days = buyer.get("payment_terms_days") or 0
        buyer = {**buyer, "due_date": (issue_date + timedelta(days=days)).isoformat()}
    invoice = Invoice.objects.create(
        property=property,
        kind=kind,
        series=series,
        sequence=sequence,
        number=number,
        folio=folio,
        original=original,
        company=company,
        guest=folio.guest,
        issue_date=issue_date,
        business_date=business_date,
        seller=seller_snapshot(property),
        buyer=buyer,
        currency=folio.currency,
        total=total,
        net=sum((row[1] for row in vat_rows), ZERO) + tourist_tax,
        vat_total=vat_total,
        tourist_tax=tourist_tax,
        payments=payments,
        paid=paid,
        balance=total - paid,
        reason=reason[:300],
        email=buyer.get("email", ""),
        issued_by=actor if getattr(actor, "pk", None) else None,
    )
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    invoice_vat = InvoiceVat.objects.bulk_create(
        [
            InvoiceVat(invoice=invoice, rate=rate, net=net, vat=vat, gross=gross)
            for rate, net, vat, gross in vat_rows
        ]
    )
    journal_vat = _vat_rows(journal_lines)
    journal_append(
        property=property,
        kind=JournalEntry.Kind.INVOICE
        if kind == Invoice.Kind.INVOICE
        else JournalEntry.Kind.CREDIT_NOTE,
        document=invoice,
        document_number=number,
        business_date=business_date,
        gross=journal_gross,
        net=sum((row[1] for row in journal_vat), ZERO),
        vat=vat_json(journal_vat),
        actor=actor,
        payload={"total": total, "tourist_tax": tourist_tax, **payload},
        document_hash=invoice_seal(invoice, lines, invoice_vat),
    )
    if invoice.email:
        invoice_email_enqueue(invoice=invoice)
    audit_log(
        action=f"billing.{kind}.issued",
        property=property,
        actor=actor,
        target=invoice,
        data={"number": number, "total": str(total)},
    )
    webhook_emit(
        property=property,
        event="invoice.issued" if kind == Invoice.Kind.INVOICE else "credit_note.issued",
        data={
            "id": invoice.public_id,
            "number": number,
            "original_number": original.number if original is not None else None,
            "folio_id": folio.public_id,
            "issue_date": invoice.issue_date,
            "currency": invoice.currency,
            "total": total,
            "net": invoice.net,
            "vat_total": vat_total,
            "paid": paid,
            "balance": invoice.balance,
        },
    )
    return invoice


def _payments_for(*, folio: Folio, total: Decimal) -> tuple[list, Decimal]:
    """The folio's payments (deposits included) as printed, and the part of them this invoice
    consumes: payments not already absorbed by the folio's standing invoices, up to its total."""
    payments = list(folio.payments.order_by("created_at", "pk"))
    received = sum((p.amount for p in payments), ZERO)
    standing = ZERO
    for inv in folio.invoices.all():
        standing += inv.paid if inv.kind == Invoice.Kind.INVOICE else ZERO
    available = max(received - standing, ZERO)
    paid = min(available, total) if total > 0 else ZERO
    rows = [
        {
            "date": p.business_date.isoformat(),
            "method": p.method,
            "method_label": str(p.get_method_display()),
            "amount": f"{p.amount:.2f}",
            "reference": p.terminal_reference,
        }
        for p in payments
    ]
    return rows, paid


def invoice_issue(
    *,
    folio: Folio,
    actor,
    lines: Sequence[FolioLine] | None = None,
    company=None,
) -> Invoice:
    """Issue an invoice for `lines` of `folio` (default: every line not yet invoiced).

    Split folios: pass the lines the company pays (e.g. the room nights) with `company=`, then
    invoice the rest to the guest. Lines are copied (description, quantity, unit price, total,
    VAT rate and amount, net, revenue category, service date); seller and buyer identities are
    snapshotted; the VAT breakdown is per rate with the tourist tax outside VAT.

    Journal: one INVOICE entry. Its gross counts only what no receipt already counted: lines
    whose folio-line source starts with "pos.ticketline:" were journaled as receipts when the
    POS ticket was charged to the room, and the tourist tax is collected for the commune (not
    a sale) — both are left out of the entry's gross/net/VAT (the invoice total and the
    excluded amounts are kept in the payload), so the perpetual grand total counts every sale
    exactly once.
    E-mail: when the buyer has an address, billing.tasks.invoice_email_task renders the PDF and
    sends it after commit (through the outbox), never inside the transaction.
    Locks: the folio row (two issues never invoice the same line), the invoice
    NumberSequence row, then the fiscal journal head, until commit.
    Raises InvalidInput when a line is foreign, already invoiced, or nothing is left to invoice.
    """
    with transaction.atomic():
        folio = (
            Folio.objects.select_for_update(of=("self",))
            .select_related("property", "guest")
            .get(pk=folio.pk)
        )
        if company is not None and company.organization_id != folio.property.organization_id:
            raise InvalidInput(_("This company belongs to another organisation."))
        available = {line.pk: line for line in folio_lines_not_invoiced(folio=folio)}
        if lines is None:
            chosen = list(available.values())
        else:
            chosen = []
            for line in lines:
                if line.folio_id != folio.pk:
                    raise InvalidInput(_("This line belongs to another folio."))
                if line.pk not in available:
                    raise InvalidInput(_("This line is already invoiced."))
                chosen.append(available[line.pk])
        if not chosen:
            raise InvalidInput(_("Nothing left to invoice on this folio."))
        invoice_lines = [
            InvoiceLine(
                folio_line=line,
                description=line.description,
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                total=line.total,
                vat_rate=line.vat_rate,
                vat_amount=line.vat_amount,
                net=line.net,
                revenue_category=line.revenue_category,
                applied_rule=line.applied_rule,
                service_date=line.service_date or line.business_date,
                source=line.source,
            )
            for line in chosen
        ]
        journal_lines = [
            li
            for li in invoice_lines
            if not li.source.startswith(RECEIPTED_SOURCE_PREFIX)
            and li.revenue_category != TOURIST_TAX
        ]
        receipted = sum(
            (li.total for li in invoice_lines if li.source.startswith(RECEIPTED_SOURCE_PREFIX)),
            ZERO,
        )
        return _create_document(
            folio=folio,
            kind=Invoice.Kind.INVOICE,
            actor=actor,
            company=company,
            lines=invoice_lines,
            journal_gross=sum((li.total for li in journal_lines), ZERO),
            journal_lines=journal_lines,
            payload={"already_receipted": receipted},
        )


def credit_note_issue(
    *,
    invoice: Invoice,
    actor,
    reason: str,
    lines: Sequence[InvoiceLine] | None = None,
    amount: Decimal | None = None,
) -> Invoice:
    """Issue a credit note (avoir) against `invoice`: in full (no `lines`, no `amount`), for
    some of its lines, or for an amount (a commercial gesture, spread over the invoice's VAT
    rates pro rata to their gross, one line per rate).

    The credit note references the original, has its own series ("A<year>-"), negative
    amounts, and is journaled as CREDIT_NOTE with negative gross. Unlike the invoice, every
    credited sale amount moves the grand total (the reduction was never journaled before);
    credited tourist tax stays outside it. Lines credited one by one can be invoiced again.
    Locks: the original's folio row, the credit-note sequence row, the journal head.
    Raises InvalidInput: no reason, not an invoice, a line credited twice, an amount that
    is not positive or exceeds what is left to credit.
    """
    if not (reason or "").strip():
        raise InvalidInput(_("A credit note needs a reason."))
    if lines is not None and amount is not None:
        raise InvalidInput(_("Credit either lines or an amount, not both."))
    with transaction.atomic():
        folio = (
            Folio.objects.select_for_update(of=("self",))
            .select_related("property")
            .get(pk=invoice.folio_id)
        )
        invoice = Invoice.objects.get(pk=invoice.pk)
        if invoice.kind != Invoice.Kind.INVOICE:
            raise InvalidInput(_("Only an invoice can be credited."))
        credited_total = -sum(
            (cn.total for cn in invoice.credit_notes.all()), ZERO
        )  # positive amount already credited
        remaining = invoice.total - credited_total
        credited_sources = set(
            InvoiceLine.objects.filter(invoice__original=invoice)
            .exclude(source="")
            .values_list("source", flat=True)
        )
        credited_line_ids = set(
            InvoiceLine.objects.filter(
                invoice__original=invoice, folio_line__isnull=False
            ).values_list("folio_line_id", flat=True)
        )
        has_amount_credit = invoice.credit_notes.filter(lines__folio_line__isnull=True).exists()
        if amount is None:
            originals = list(invoice.lines.all()) if lines is None else list(lines)
            for line in originals:
                if line.invoice_id != invoice.pk:
                    raise InvalidInput(_("This line belongs to another invoice."))
                if line.folio_line_id in credited_line_ids or (
                    not line.folio_line_id and line.source and line.source in credited_sources
                ):
                    raise InvalidInput(_("This line is already credited."))
            if not originals:
                raise InvalidInput(_("Nothing to credit."))
            if has_amount_credit and lines is None:
                raise InvalidInput(
                    _("This invoice already has a partial credit: credit its lines one by one.")
                )
            credit_lines = [
                InvoiceLine(
                    folio_line=line.folio_line,
                    description=line.description,
                    product_id=line.product_id,
                    quantity=-line.quantity,
                    unit_price=line.unit_price,
                    total=-line.total,
                    vat_rate=line.vat_rate,
                    vat_amount=-line.vat_amount,
                    net=-line.net,
                    revenue_category=line.revenue_category,
                    applied_rule=line.applied_rule,
                    service_date=line.service_date,
                    source=line.source,
                )
                for line in originals
            ]
        else:
            amount = quantize(Decimal(amount))
            if amount <= 0:
                raise InvalidInput(_("The amount to credit must be positive."))
            if amount > remaining:
                raise InvalidInput(_("This is more than what is left to credit on the invoice."))
            credit_lines = _amount_lines(invoice=invoice, amount=amount)
        if -sum((li.total for li in credit_lines), ZERO) > remaining:
            raise InvalidInput(_("This is more than what is left to credit on the invoice."))
        journal_lines = [li for li in credit_lines if li.revenue_category != TOURIST_TAX]
        return _create_document(
            folio=folio,
            kind=Invoice.Kind.CREDIT_NOTE,
            actor=actor,
            company=invoice.company,
            lines=credit_lines,
            original=invoice,
            reason=reason.strip(),
            journal_gross=sum((li.total for li in journal_lines), ZERO),
            journal_lines=journal_lines,
            payload={"original": invoice.number, "reason": reason.strip()[:300]},
        )


def _amount_lines(*, invoice: Invoice, amount: Decimal) -> list[InvoiceLine]:
    """Spread a credited amount over the invoice's VAT rates, pro rata to their gross; the
    last rate takes the rounding remainder. Each line keeps the rate's main revenue category."""
    vat_rows = list(invoice.vat_lines.order_by("-gross", "-rate"))
    base = sum((row.gross for row in vat_rows), ZERO)
    if base <= 0:
        raise InvalidInput(_("This invoice has no sale to credit."))
    lines, left = [], amount
    for i, row in enumerate(vat_rows):
        share = left if i == len(vat_rows) - 1 else quantize(amount * row.gross / base)
        left -= share
        if share == 0:
            continue
        category = (
            invoice.lines.filter(vat_rate=row.rate)
            .exclude(revenue_category=TOURIST_TAX)
            .order_by("-total")
            .values_list("revenue_category", flat=True)
            .first()
        )
        vat = vat_from_gross(share, row.rate)
        lines.append(
            InvoiceLine(
                description=_("Credit on invoice %(number)s") % {"number": invoice.number},
                quantity=Decimal("-1"),
                unit_price=share,
                total=-share,
                vat_rate=row.rate,
                vat_amount=-vat,
                net=-(share - vat),
                revenue_category=category,
                service_date=invoice.business_date,
            )
        )
    return lines


def _picked(related, ids: Sequence[int] | None, *, refused: str) -> list | None:
    """The lines of one document listed by id (None: no list, the whole document); an id of
    another document (or none) is refused with `refused`."""
    if ids is None:
        return None
    lines = list(related.filter(pk__in=ids))
    if len(lines) != len(set(ids)):
        raise InvalidInput(refused)
    return lines


def invoice_issue_for_folio(
    *,
    property,
    folio_public_id,
    actor,
    line_ids: Sequence[int] | None = None,
    company_id: int | None = None,
) -> Invoice:
    """`invoice_issue` for a folio of `property` named by its public id: every line not yet
    invoiced, or the listed lines of that folio, to the guest or to one of the organisation's
    companies. The folio, its lines and the company are read in the issuing transaction.
    Raises: NotFound for a folio or company of another property (or none), InvalidInput for a
    line of another folio; and what invoice_issue raises."""
    from crm.models import Company

    with transaction.atomic():
        folio = Folio.objects.filter(property=property, public_id=folio_public_id).first()
        if folio is None:
            raise NotFound()
        lines = _picked(folio.lines, line_ids, refused=_("This line belongs to another folio."))
        company = None
        if company_id is not None:
            company = Company.objects.filter(
                organization=property.organization, pk=company_id
            ).first()
            if company is None:
                raise NotFound()
        return invoice_issue(folio=folio, actor=actor, lines=lines, company=company)


def credit_note_issue_for_invoice(
    *,
    property,
    invoice_public_id,
    actor,
    reason: str,
    line_ids: Sequence[int] | None = None,
    amount: Decimal | None = None,
) -> Invoice:
    """`credit_note_issue` for an invoice of `property` named by its public id: in full, the
    listed lines of that invoice, or an amount. The invoice and its lines are read in the
    issuing transaction.
    Raises: NotFound for an invoice of another property (or none), InvalidInput for a line of
    another invoice; and what credit_note_issue raises."""
    with transaction.atomic():
        invoice = Invoice.objects.filter(property=property, public_id=invoice_public_id).first()
        if invoice is None:
            raise NotFound()
        lines = _picked(invoice.lines, line_ids, refused=_("This line belongs to another invoice."))
        return credit_note_issue(
            invoice=invoice, actor=actor, reason=reason, lines=lines, amount=amount
        )


def folio_transfer_to_company(*, folio: Folio, company, actor) -> Invoice | None:
    """Transfer a departing stay's balance to a company's account (city ledger, compte
    débiteur): what is not invoiced yet is invoiced to the company, and the folio, open,
    joins the open balances under the company's name until the company pays. The caller
    checks that the actor's role may transfer (billing.city_ledger).
    Runs in the caller's transaction. Returns the invoice (None when all was invoiced).
    Raises InvalidInput for a company of another organisation."""
    if company is None or company.organization_id != folio.property.organization_id:
        raise InvalidInput(_("Choose one of your companies' accounts."))
    invoice = None
    if folio_lines_not_invoiced(folio=folio):
        invoice = invoice_issue(folio=folio, actor=actor, company=company)
    folio.company = company
    folio.left_open_at = timezone.now()
    folio.left_open_reason = _("Transferred to the account of %(company)s") % {
        "company": company.name
    }
    folio.left_open_by = actor if getattr(actor, "pk", None) else None
    folio.save(
        update_fields=["company", "left_open_at", "left_open_reason", "left_open_by", "updated_at"]
    )
    audit_log(
        action="billing.folio.transferred",
        property=folio.property,
        actor=actor,
        target=folio,
        data={"company": company.pk, "invoice": invoice.number if invoice else ""},
    )
    return invoice
