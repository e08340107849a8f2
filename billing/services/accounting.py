"""Accounting: the chart mapping (the French defaults, overridden per property in the admin)
and the balanced daily entries. The files built from them (the FEC, the CSV of document lines
and the daily export) are billing.services.fec.

Daily entries, per business day:
* VE (sales): 411 debited with the day's sales incl. VAT and tourist tax; revenue accounts
  credited with the net per revenue category, collected VAT per rate, the tourist tax to its
  liability account. Sales = POS tickets (paid or charged to a room) + folio lines except
  POS charge-to-room lines (their ticket already counts) − voided tickets (on the void's
  day) + credit-note lines (negative). A negative balance goes to the other side.
  Tips paid with a ticket are owed to the staff: 411 debited, "tips" (428600) credited.
* CA (cash) and BQ (other tenders): one entry per payment method, method account debited,
  411 credited — except deposits (acomptes; the VAT on services is due when a deposit is
  cashed): a folio payment received while the folio has no invoice yet (none issued on or
  before its business day) is credited to 4191 "deposits" net of the VAT due on cashing (at
  DEPOSIT_VAT_RATE, 44571x credited).
* OD: when an invoice is issued, the deposits it absorbs are transferred: 4191 and the VAT
  on the deposit debited back (the sale's VAT is in VE), 411 credited (piece ACPT-<number>).
* CA (drawers): cash put into / taken out of a till drawer against 580 (internal transfers),
  a closed drawer's surplus to 758, its shortage to 658.
Every entry balances by construction (net + VAT = gross on every line).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Sum

from billing.models import (
    AccountingAccount,
    FolioLine,
    Invoice,
    InvoiceLine,
    JournalEntry,
    Payment,
    Ticket,
    TicketLine,
)
from core.formatting import rate as format_rate
from core.models import Property
from core.money import ZERO, vat_from_gross

TOURIST_TAX = "tourist_tax"
RECEIPTED_SOURCE_PREFIX = "pos.ticketline:"

DEFAULT_ACCOUNTS: dict[str, tuple[str, str]] = {
    "revenue:accommodation": ("706100", "Prestations hébergement"),
    "revenue:food": ("706300", "Prestations restauration"),
    "revenue:services": ("706400", "Prestations de services"),
    "revenue:drinks": ("707100", "Ventes boissons sans alcool"),
    "revenue:alcohol": ("707200", "Ventes boissons alcoolisées"),
    "revenue:goods": ("707000", "Ventes de marchandises"),
    "tourist_tax": ("467100", "Taxe de séjour à reverser"),
    "vat:20.00": ("445712", "TVA collectée 20 %"),
    "vat:10.00": ("445711", "TVA collectée 10 %"),
    "vat:5.50": ("445713", "TVA collectée 5,5 %"),
    "vat:2.10": ("445714", "TVA collectée 2,1 %"),
    "customers": ("411100", "Clients"),
    "deposits": ("419100", "Clients - avances et acomptes reçus"),
    "tips": ("428600", "Pourboires à reverser au personnel"),
    "payment:cash": ("530000", "Caisse"),
    "payment:card": ("511500", "CB à encaisser"),
    "payment:wallet": ("511600", "Paiements mobiles à encaisser"),
    "payment:voucher": ("419800", "Bons cadeaux et avoirs clients"),
    "payment:gift_card": ("419800", "Bons cadeaux et avoirs clients"),
    "payment:loyalty": ("709700", "Rabais, remises et ristournes (fidélité)"),
    # a campaign's voucher was given, not sold: its use is a discount, not a liability (§9.1)
    "payment:promotion": ("709800", "Rabais, remises et ristournes (bons promotionnels)"),
    "revenue:voucher": ("419800", "Bons cadeaux et avoirs clients"),
    # what is left on an expired multi-purpose card leaves the liability as income without
    # VAT (REFERENCE §9.1 [UNCERTAIN]: the account and the treatment are the accountant's)
    "gift_card_breakage": ("758800", "Bons cadeaux expirés non utilisés"),
    "payment:bank_transfer": ("512000", "Banque"),
    "payment:cheque": ("511200", "Chèques à encaisser"),
    # payment titles are remitted to their issuer later (REFERENCE §9.2): each its own
    # clearing account, a free 511x sub-account to agree with the accountant
    "payment:meal_voucher": ("511300", "Titres-restaurant papier à encaisser"),
    "payment:meal_voucher_card": ("511310", "Titres-restaurant carte à encaisser"),
    "payment:holiday_voucher": ("511400", "Chèques-vacances ANCV à encaisser"),
    "cash_transfers": ("580000", "Virements internes"),
    "cash_over": ("758000", "Produits divers de gestion courante"),
    "cash_short": ("658000", "Charges diverses de gestion courante"),
}
FALLBACK_REVENUE = ("706000", "Prestations de services")
# VAT is due on a deposit for services when it is cashed (docs/accounting.md); deposits pay for
# stays, so the accommodation rate. A property with other deposits changes it in docs' way.
DEPOSIT_VAT_RATE = Decimal("10.00")
FALLBACK_VAT = ("445710", "TVA collectée")


class ChartOfAccounts:
    """The property's mapping: admin overrides over the French defaults."""

    def __init__(self, property: Property):
        self.accounts = dict(DEFAULT_ACCOUNTS)
        for key, number, label in AccountingAccount.objects.filter(property=property).values_list(
            "key", "number", "label"
        ):
            self.accounts[key] = (number, label)

    def get(self, key: str) -> tuple[str, str]:
        if key in self.accounts:
            return self.accounts[key]
        return FALLBACK_VAT if key.startswith("vat:") else FALLBACK_REVENUE

    def revenue(self, category: str) -> tuple[str, str]:
        return self.get(TOURIST_TAX if category == TOURIST_TAX else f"revenue:{category}")

    def vat(self, rate) -> tuple[str, str]:
        return self.get(f"vat:{Decimal(rate):.2f}")


@dataclass
class EntryLine:
    account: str
    account_label: str
    label: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    aux: str = ""
    aux_label: str = ""


@dataclass
class Entry:
    journal: str
    journal_label: str
    day: date
    piece: str
    lines: list[EntryLine] = field(default_factory=list)

    @property
    def debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


def vat_label(rate) -> str:
    """The VAT line's label in the books, in French as the FEC is: "TVA 20 %", "TVA 5,5 %"
    (plain spaces: an accounting file is no place for no-break spaces)."""
    return "TVA " + format_rate(rate, language="fr").replace("\u00a0", " ")


def _signed(account, label, text, amount: Decimal, *, credit: bool, aux=("", "")) -> EntryLine:
    """A line on its natural side, moved to the other side when the amount is negative."""
    positive = amount >= 0
    on_credit = credit == positive
    return EntryLine(
        account=account[0],
        account_label=account[1],
        label=text,
        debit=ZERO if on_credit else abs(amount),
        credit=abs(amount) if on_credit else ZERO,
        aux=aux[0],
        aux_label=aux[1],
    )


def _sales_rows(
    *, property: Property, day: date
) -> list[tuple[str, Decimal, Decimal, Decimal, Decimal]]:
    """(revenue_category, vat_rate, net, vat, gross) of the day's sales, signed."""
    sums = dict(net=Sum("net"), vat=Sum("vat_amount"), gross=Sum("total"))
    keys = ("revenue_category", "vat_rate")
    voided = JournalEntry.objects.filter(
        property=property,
        chain=JournalEntry.Chain.FISCAL,
        kind=JournalEntry.Kind.VOID,
        document_type="billing.ticket",
        business_date=day,
    ).values_list("document_id", flat=True)
    sources = [
        (1, TicketLine.objects.filter(ticket__property=property, ticket__business_date=day)),
        (
            -1,
            TicketLine.objects.filter(
                ticket__property=property, ticket_id__in=[int(i) for i in voided]
            ),
        ),
        (
            1,
            FolioLine.objects.filter(folio__property=property, business_date=day).exclude(
                source__startswith=RECEIPTED_SOURCE_PREFIX
            ),
        ),
        (
            1,
            InvoiceLine.objects.filter(
                invoice__property=property,
                invoice__business_date=day,
                invoice__kind=Invoice.Kind.CREDIT_NOTE,
            ),
        ),
    ]
    rows: dict[tuple, list[Decimal]] = {}
    for sign, queryset in sources:
        for row in queryset.values(*keys).annotate(**sums).order_by(*keys):
            acc = rows.setdefault((row["revenue_category"], Decimal(row["vat_rate"])), [ZERO] * 3)
            acc[0] += sign * row["net"]
            acc[1] += sign * row["vat"]
            acc[2] += sign * row["gross"]
    return [(k[0], k[1], *v) for k, v in sorted(rows.items())]


def daily_entries(
    *, property: Property, day: date, chart: ChartOfAccounts | None = None
) -> list[Entry]:
    """The balanced accounting entries of one business day (see the module docstring)."""
    chart = chart or ChartOfAccounts(property)
    piece = f"Z-{day:%Y-%m%d}"
    customers = chart.get("customers")
    aux = ("CPASSAGE", "Clients de passage")
    entries = []
    sales = _sales_rows(property=property, day=day)
    if sales:
        revenue: dict[tuple, Decimal] = {}
        vat: dict[Decimal, Decimal] = {}
        total = ZERO
        for category, rate, net, vat_amount, gross in sales:
            total += gross
            if category == TOURIST_TAX:
                revenue[chart.revenue(category)] = (
                    revenue.get(chart.revenue(category), ZERO) + gross
                )
                continue
            revenue[chart.revenue(category)] = revenue.get(chart.revenue(category), ZERO) + net
            vat[rate] = vat.get(rate, ZERO) + vat_amount
        tips = _tips(property=property, day=day)
        text = f"Recette du jour {day:%d/%m/%Y}"
        entry = Entry("VE", "Ventes", day, piece)
        entry.lines.append(_signed(customers, "", text, total + tips, credit=False, aux=aux))
        if tips:
            entry.lines.append(_signed(chart.get("tips"), "", "Pourboires", tips, credit=True))
        for account, amount in sorted(revenue.items()):
            if amount:
                entry.lines.append(_signed(account, "", account[1], amount, credit=True))
        for rate, amount in sorted(vat.items(), reverse=True):
            if amount:
                entry.lines.append(
                    _signed(chart.vat(rate), "", vat_label(rate), amount, credit=True)
                )
        entries.append(entry)
    payments = (
        Payment.objects.filter(property=property, business_date=day)
        .values("method")
        .annotate(amount=Sum("amount"))
        .order_by("method")
    )
    deposits = _deposits_received(property=property, day=day)
    deposit_vat = chart.vat(DEPOSIT_VAT_RATE)
    for row in payments:
        if not row["amount"]:
            continue
        label = str(Payment.Method(row["method"]).label)
        journal = (
            ("CA", "Caisse") if row["method"] == Payment.Method.CASH else ("BQ", "Encaissements")
        )
        entry = Entry(journal[0], journal[1], day, piece)
        entry.lines.append(
            _signed(chart.get(f"payment:{row['method']}"), "", label, row["amount"], credit=False)
        )
        deposit = deposits.get(row["method"], ZERO)
        if row["amount"] - deposit:
            entry.lines.append(
                _signed(customers, "", label, row["amount"] - deposit, credit=True, aux=aux)
            )
        if deposit:
            vat = vat_from_gross(deposit, DEPOSIT_VAT_RATE)
            text = f"Acomptes reçus ({label})"
            entry.lines.append(
                _signed(chart.get("deposits"), "", text, deposit - vat, credit=True, aux=aux)
            )
            if vat:
                entry.lines.append(_signed(deposit_vat, "", "TVA sur acomptes", vat, credit=True))
        entries.append(entry)
    drawers = _drawer_entry(property=property, day=day, chart=chart, piece=piece)
    if drawers is not None:
        entries.append(drawers)
    breakage = _gift_card_breakage(property=property, day=day)
    if breakage:
        entry = Entry("OD", "Opérations diverses", day, f"BC-{day:%Y-%m%d}")
        text = "Bons cadeaux expirés"
        liability, income = chart.get("payment:gift_card"), chart.get("gift_card_breakage")
        entry.lines.append(_signed(liability, "", text, breakage, credit=False))
        entry.lines.append(_signed(income, "", text, breakage, credit=True))
        entries.append(entry)
    for number, amount in _deposit_transfers(property=property, day=day):
        vat = vat_from_gross(amount, DEPOSIT_VAT_RATE)
        entry = Entry("OD", "Opérations diverses", day, f"ACPT-{number}")
        text = f"Imputation acompte {number}"
        entry.lines.append(
            _signed(chart.get("deposits"), "", text, amount - vat, credit=False, aux=aux)
        )
        if vat:
            entry.lines.append(
                _signed(deposit_vat, "", "Extourne TVA sur acompte", vat, credit=False)
            )
        entry.lines.append(_signed(customers, "", text, amount, credit=True, aux=aux))
        entries.append(entry)
    return entries


def _gift_card_breakage(*, property: Property, day: date) -> Decimal:
    """What the multi-purpose cards that expired on business day `day` (from the property's
    roll hour to the next, like every other document of that day; a calendar day would book a
    card expired after midnight on the next day's entries) still held: a liability no longer
    owed. Single-purpose vouchers were revenue at sale and promotional ones were never sold:
    their expiry books nothing."""
    from datetime import datetime, time, timedelta

    from crm.models import GiftCardMovement
    from inventory.models import GiftCardKind

    start = datetime.combine(day, time(property.business_day_roll_hour), tzinfo=property.tz)
    total = GiftCardMovement.objects.filter(
        card__property=property,
        card__kind=GiftCardKind.MULTI_PURPOSE,
        kind=GiftCardMovement.Kind.EXPIRE,
        created_at__gte=start,
        created_at__lt=start + timedelta(days=1),
    ).aggregate(s=Sum("amount"))["s"]
    return -(total or ZERO)


def _drawer_entry(*, property: Property, day: date, chart, piece: str) -> Entry | None:
    """The till drawers' own movements (docs/accounting.md): cash put in or taken out with a
    reason (change from the safe, a bank deposit, a supplier paid from the till) against the
    internal-transfer account 580, and a closed drawer's counted − expected difference as a
    surplus (758) or a shortage (658), so that 530 in the books follows the drawers."""
    from billing.services.reconciliation import cash_drawers_for_day

    drawers = cash_drawers_for_day(property=property, business_date=day)
    movements = sum((d["movements"] for d in drawers), ZERO)
    difference = sum((d["difference"] or ZERO for d in drawers), ZERO)
    if not movements and not difference:
        return None
    cash = chart.get("payment:cash")
    entry = Entry("CA", "Caisse", day, piece)
    if movements:
        text = "Mouvements de caisse"
        entry.lines.append(_signed(cash, "", text, movements, credit=False))
        entry.lines.append(_signed(chart.get("cash_transfers"), "", text, movements, credit=True))
    if difference > 0:
        text = "Excédent de caisse"
        entry.lines.append(_signed(cash, "", text, difference, credit=False))
        entry.lines.append(_signed(chart.get("cash_over"), "", text, difference, credit=True))
    elif difference < 0:
        text = "Manquant de caisse"
        entry.lines.append(_signed(chart.get("cash_short"), "", text, -difference, credit=False))
        entry.lines.append(_signed(cash, "", text, -difference, credit=True))
    return entry


def _tips(*, property: Property, day: date) -> Decimal:
    return (
        Ticket.objects.filter(property=property, business_date=day).aggregate(t=Sum("tip"))["t"]
        or ZERO
    )


def _deposits_received(*, property: Property, day: date) -> dict[str, Decimal]:
    """Per method, the day's folio payments received while the folio had no invoice issued on
    or before that day: deposits (acomptes), credited to 4191."""
    invoiced = Invoice.objects.filter(
        folio=OuterRef("folio"), kind=Invoice.Kind.INVOICE, business_date__lte=day
    )
    rows = (
        Payment.objects.filter(
            property=property, business_date=day, folio__isnull=False, ticket__isnull=True
        )
        .exclude(Exists(invoiced))
        .values("method")
        .annotate(amount=Sum("amount"))
        .order_by("method")
    )
    return {r["method"]: r["amount"] for r in rows if r["amount"]}


def _deposit_transfers(*, property: Property, day: date) -> list[tuple[str, Decimal]]:
    """(invoice number, amount) of the deposits absorbed by the invoices issued that day.

    A folio's deposits are its payments dated before its first invoice; its invoices absorb
    them in order, each up to what it records as paid, until none is left."""
    folios = set(
        Invoice.objects.filter(
            property=property, kind=Invoice.Kind.INVOICE, business_date=day, paid__gt=0
        ).values_list("folio_id", flat=True)
    )
    if not folios:
        return []
    invoices = list(
        Invoice.objects.filter(folio_id__in=folios, kind=Invoice.Kind.INVOICE)
        .order_by("folio_id", "business_date", "series", "sequence")
        .values("folio_id", "business_date", "number", "paid")
    )
    first: dict[int, date] = {}
    for inv in invoices:
        first.setdefault(inv["folio_id"], inv["business_date"])
    left: dict[int, Decimal] = {}
    for folio_id, when, amount in Payment.objects.filter(folio_id__in=folios).values_list(
        "folio_id", "business_date", "amount"
    ):
        if when < first[folio_id]:
            left[folio_id] = left.get(folio_id, ZERO) + amount
    transfers = []
    for inv in invoices:
        remaining = left.get(inv["folio_id"], ZERO)
        if remaining <= 0 or inv["paid"] <= 0:
            continue
        amount = min(remaining, inv["paid"])
        left[inv["folio_id"]] = remaining - amount
        if inv["business_date"] == day:
            transfers.append((inv["number"], amount))
    return transfers


@dataclass(frozen=True)
class DepositVat:
    """The VAT on deposits over a period, as the FEC books it to the deposit rate's account:
    credited when a deposit is cashed, debited back when an invoice absorbs it."""

    rate: Decimal
    received_gross: Decimal
    received_vat: Decimal
    absorbed_gross: Decimal
    absorbed_vat: Decimal

    @property
    def net_vat(self) -> Decimal:
        return self.received_vat - self.absorbed_vat

    def __bool__(self) -> bool:
        return bool(self.received_gross or self.absorbed_gross)


def deposit_vat(*, properties: list[Property], start: date, end: date) -> DepositVat:
    """The deposits' VAT of `properties` between `start` and `end` (business dates), rounded
    as the FEC's entries are (per day and method when cashed, per invoice when absorbed), so
    that the VAT report and the FEC's VAT account agree. One query for the deposits, one per
    day on which invoices absorbed some."""
    invoiced_before = Invoice.objects.filter(
        folio=OuterRef("folio"),
        kind=Invoice.Kind.INVOICE,
        business_date__lte=OuterRef("business_date"),
    )
    received = (
        Payment.objects.filter(
            property__in=properties,
            business_date__range=(start, end),
            folio__isnull=False,
            ticket__isnull=True,
        )
        .exclude(Exists(invoiced_before))
        .values("property_id", "business_date", "method")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    received_gross = received_vat = ZERO
    for row in received:
        if row["amount"]:
            received_gross += row["amount"]
            received_vat += vat_from_gross(row["amount"], DEPOSIT_VAT_RATE)
    absorbed_gross = absorbed_vat = ZERO
    days = (
        Invoice.objects.filter(
            property__in=properties,
            kind=Invoice.Kind.INVOICE,
            business_date__range=(start, end),
            paid__gt=0,
        )
        .values_list("property_id", "business_date")
        .distinct()
        .order_by()
    )
    by_pk = {p.pk: p for p in properties}
    for property_id, day in days:
        for _number, amount in _deposit_transfers(property=by_pk[property_id], day=day):
            absorbed_gross += amount
            absorbed_vat += vat_from_gross(amount, DEPOSIT_VAT_RATE)
    return DepositVat(
        rate=DEPOSIT_VAT_RATE,
        received_gross=received_gross,
        received_vat=received_vat,
        absorbed_gross=absorbed_gross,
        absorbed_vat=absorbed_vat,
    )
