"""Guest e-mails (PMS-7): confirmation, pre-arrival (D−3), invoice, thank-you after the stay.

Each is written in the guest's language from the property's own wording (GuestEmailTemplate,
edited by a manager with a preview) or the default below. Placeholders are `{name}`; a
template naming an unknown placeholder is refused and nothing is saved. Every e-mail of a
reservation is claimed once per kind (GuestEmail, unique on reservation × kind) in the
business transaction and sent after commit through the outbox, so retries, a beat task run
twice or a replayed check-out never send it twice. Guests without an address get nothing.
"""

import re
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.audit import audit_log
from core.exceptions import InvalidInput, NotFound
from core.formatting import day as format_day
from core.formatting import money
from core.models import Property
from core.outbox import outbox_enqueue
from pms.models import GuestEmail, GuestEmailKind, GuestEmailTemplate, Reservation

LANGUAGES = ("fr", "en")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
COMMON = {
    "guest_name",
    "first_name",
    "reference",
    "property",
    "arrival",
    "departure",
    "nights",
    "total",
    "hours",
}
PLACEHOLDERS: dict[str, set[str]] = {
    GuestEmailKind.CONFIRMATION: COMMON | {"summary", "payment", "policy"},
    GuestEmailKind.PRE_ARRIVAL: COMMON | {"guest_page_link"},
    GuestEmailKind.INVOICE: COMMON | {"invoice_number"},
    GuestEmailKind.THANK_YOU: COMMON,
}
DEFAULTS = {
    GuestEmailKind.CONFIRMATION: (
        gettext_lazy("Your booking {reference} at {property}"),
        gettext_lazy(
            "Hello {first_name},\n\nYour booking at {property} is confirmed.\n\n"
            "Reference: {reference}\n{arrival} → {departure} ({nights} nights)\n{hours}\n"
            "Total: {total}\n\n{summary}\n\n{payment}\n\n{policy}\n"
        ),
    ),
    GuestEmailKind.PRE_ARRIVAL: (
        gettext_lazy("See you soon at {property}"),
        gettext_lazy(
            "Hello {first_name},\n\nWe look forward to welcoming you on {arrival}.\n{hours}\n"
            "Save time at the desk: tell us when you arrive and, if you are not a French "
            "national, fill in the police form online:\n{guest_page_link}\n\n"
            "Reference: {reference}\n"
        ),
    ),
    GuestEmailKind.INVOICE: (
        gettext_lazy("Your invoice {invoice_number}"),
        gettext_lazy(
            "Hello {first_name},\n\nPlease find attached invoice {invoice_number} "
            "for your stay at {property} ({arrival} → {departure}).\n"
        ),
    ),
    GuestEmailKind.THANK_YOU: (
        gettext_lazy("Thank you for your stay at {property}"),
        gettext_lazy(
            "Hello {first_name},\n\nThank you for staying with us from {arrival} to "
            "{departure}. We hope to see you again soon.\n\n{property}\n"
        ),
    ),
}
GUEST_PAGE_SALT = "pms.guest_page"


def stay_hours_text(property, language: str) -> str:
    """The property's check-in and check-out hours in `language` (pms.services.policies)."""
    from pms.services.policies import stay_hours_text as text

    return text(property, language)


def policy_sentence(reservation: Reservation, language: str) -> str:
    """The cancellation and guarantee policy agreed at booking, for the confirmation e-mail,
    in `language` (pms.services.policies)."""
    from pms.services.policies import policy_text

    return policy_text(reservation, language)


# --- templates ------------------------------------------------------------------------


def template_validate(*, kind: str, subject: str, body: str) -> None:
    """Raises InvalidInput naming the unknown placeholder or the stray brace."""
    if kind not in PLACEHOLDERS:
        raise InvalidInput(_("Unknown e-mail."))
    if not (subject or "").strip():
        raise InvalidInput(_("Write a subject."), extra={"field": "subject"})
    if not (body or "").strip():
        raise InvalidInput(_("Write the message."), extra={"field": "body"})
    if len(subject) > 200:
        raise InvalidInput(_("The subject is too long (200 characters at most)."))
    allowed = PLACEHOLDERS[kind]
    for field, text in (("subject", subject), ("body", body)):
        for name in PLACEHOLDER.findall(text):
            if name not in allowed:
                raise InvalidInput(
                    _("Unknown placeholder {%(name)s}. You may use: %(allowed)s.")
                    % {"name": name, "allowed": ", ".join(f"{{{a}}}" for a in sorted(allowed))},
                    extra={"field": field, "placeholder": name},
                )
        if "{" in PLACEHOLDER.sub("", text) or "}" in PLACEHOLDER.sub("", text):
            raise InvalidInput(
                _("A brace is not closed: write placeholders as {reference}."),
                extra={"field": field},
            )


def template_default(*, kind: str, language: str) -> tuple[str, str]:
    subject, body = DEFAULTS[kind]
    with translation.override(language):
        return str(subject), str(body)


def template_get(*, property: Property, kind: str, language: str) -> tuple[str, str, bool]:
    """(subject, body, customised): the property's wording, else the default."""
    row = GuestEmailTemplate.objects.filter(property=property, kind=kind, language=language).first()
    if row is not None:
        return row.subject, row.body, True
    return (*template_default(kind=kind, language=language), False)


@transaction.atomic
def template_save(
    *, property: Property, kind: str, language: str, subject: str, body: str, actor
) -> GuestEmailTemplate:
    """Save the property's wording. Raises InvalidInput (nothing saved)."""
    if language not in LANGUAGES:
        raise InvalidInput(_("Unknown language."))
    template_validate(kind=kind, subject=subject, body=body)
    row, _created = GuestEmailTemplate.objects.update_or_create(
        property=property,
        kind=kind,
        language=language,
        defaults={"subject": subject.strip(), "body": body, "updated_by": actor},
    )
    audit_log(
        action="pms.guest_email.template_saved",
        property=property,
        actor=actor,
        target=row,
        data={"kind": kind, "language": language},
    )
    return row


@transaction.atomic
def template_reset(*, property: Property, kind: str, language: str, actor) -> None:
    """Back to the default wording (idempotent)."""
    deleted, _detail = GuestEmailTemplate.objects.filter(
        property=property, kind=kind, language=language
    ).delete()
    if deleted:
        audit_log(
            action="pms.guest_email.template_reset",
            property=property,
            actor=actor,
            data={"kind": kind, "language": language},
        )


def _fill(text: str, context: dict) -> str:
    return PLACEHOLDER.sub(lambda m: str(context.get(m.group(1), m.group(0))), text)


def _context(reservation: Reservation, language: str, extra: dict | None) -> dict:
    prop = reservation.property
    with translation.override(language):
        context = {
            "guest_name": f"{reservation.guest.first_name} {reservation.guest.last_name}".strip(),
            "first_name": reservation.guest.first_name,
            "reference": reservation.reference,
            "property": prop.name,
            "arrival": format_day(reservation.arrival, language=language),
            "departure": format_day(reservation.departure, language=language),
            "nights": reservation.nights,
            "total": money(reservation.total_price, prop.currency, language=language),
            "hours": stay_hours_text(prop, language),
            "policy": policy_sentence(reservation, language),
            "summary": "",
            "payment": "",
            "guest_page_link": guest_page_url(reservation),
            "invoice_number": "",
        }
    context.update(extra or {})
    return context


def guest_email_render(
    *, reservation: Reservation, kind: str, language: str, extra: dict | None = None
) -> tuple[str, str]:
    """The subject and body of `kind` for this reservation in `language`."""
    language = language if language in LANGUAGES else reservation.property.default_language
    subject, body, _custom = template_get(
        property=reservation.property, kind=kind, language=language
    )
    context = _context(reservation, language, extra)
    # blank lines left by an empty placeholder (no policy yet) are squeezed
    text = re.sub(r"\n{3,}", "\n\n", _fill(body, context)).strip() + "\n"
    return _fill(subject, context).strip(), text


def template_preview(
    *, property: Property, kind: str, language: str, subject: str, body: str
) -> tuple[str, str]:
    """The wording as a guest would read it, with sample values. Raises InvalidInput."""
    template_validate(kind=kind, subject=subject, body=body)
    today = property.business_date()
    with translation.override(language):
        sample = {
            "guest_name": "Camille Martin",
            "first_name": "Camille",
            "reference": "R2026-000123",
            "property": property.name,
            "arrival": format_day(today + timedelta(days=3), language=language),
            "departure": format_day(today + timedelta(days=5), language=language),
            "nights": 2,
            "total": money("240.00", property.currency, language=language),
            "hours": stay_hours_text(property, language),
            "policy": _("Free cancellation until 2 days before arrival."),
            "summary": _("- %(room_type)s, %(nights)s: %(amount)s")
            % {
                "room_type": _("Double room"),
                "nights": ngettext("%(n)s night", "%(n)s nights", 2) % {"n": 2},
                "amount": money("240.00", property.currency, language=language),
            },
            "payment": _("Your deposit of %(amount)s was paid by card.")
            % {"amount": money("72.00", property.currency, language=language)},
            "guest_page_link": f"{settings.PUBLIC_BASE_URL}/book/{property.slug}/stay/…",
            "invoice_number": "F2026-000042",
        }
    return _fill(subject, sample), _fill(body, sample)


# --- once per reservation × kind ------------------------------------------------------


def guest_email_claim(*, reservation: Reservation, kind: str) -> GuestEmail | None:
    """Reserve `kind` for this reservation in the caller's transaction: the row (unique on
    reservation × kind) is the idempotency key. None when the guest has no address or the
    e-mail was already claimed (a retry, a second beat run)."""
    email = (reservation.guest.email or "").strip()
    if not email:
        return None
    language = reservation.guest.language or reservation.property.default_language
    try:
        with transaction.atomic():  # savepoint: a duplicate stays local
            return GuestEmail.objects.create(
                reservation=reservation,
                kind=kind,
                to=email,
                language=language if language in LANGUAGES else "fr",
            )
    except IntegrityError:
        return None


def guest_email_pending(*, reservation: Reservation, kind: str) -> bool:
    return GuestEmail.objects.filter(
        reservation=reservation, kind=kind, sent_at__isnull=True
    ).exists()


def guest_email_mark_sent(*, reservation: Reservation, kind: str) -> None:
    GuestEmail.objects.filter(reservation=reservation, kind=kind, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )


def guest_email_enqueue(*, reservation: Reservation, kind: str) -> GuestEmail | None:
    """Claim `kind` and send it after commit (outbox). Runs in the caller's transaction.
    Idempotent: a second call claims nothing and sends nothing."""
    with transaction.atomic(savepoint=False):
        claimed = guest_email_claim(reservation=reservation, kind=kind)
        if claimed is not None:
            outbox_enqueue(
                task="pms.tasks.guest_email_task",
                kwargs={"guest_email_id": claimed.pk},
                property=reservation.property,
            )
    return claimed


def guest_email_send(*, guest_email_id: int) -> bool:
    """Send one claimed e-mail (the task's body). False when it was sent already.
    Not transactional: SMTP is called outside any transaction."""
    row = (
        GuestEmail.objects.select_related("reservation__property", "reservation__guest")
        .filter(pk=guest_email_id)
        .first()
    )
    if row is None or row.sent_at is not None:
        return False
    subject, body = guest_email_render(
        reservation=row.reservation, kind=row.kind, language=row.language
    )
    send_mail(
        subject=subject,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[row.to],
    )
    GuestEmail.objects.filter(pk=row.pk, sent_at__isnull=True).update(sent_at=timezone.now())
    return True


def pre_arrival_emails_enqueue(*, now: datetime | None = None, days_before: int = 3) -> int:
    """Beat, daily: the confirmed guests arriving within `days_before` days (from tomorrow)
    who have not had it get the pre-arrival e-mail, once. Returns how many were claimed."""
    now = now or timezone.now()
    claimed = 0
    for prop in Property.objects.order_by("pk"):
        today = prop.business_date_at(now)
        due = Reservation.objects.filter(
            property=prop,
            status=Reservation.Status.CONFIRMED,
            arrival__gt=today,
            arrival__lte=today + timedelta(days=days_before),
        ).exclude(emails__kind=GuestEmailKind.PRE_ARRIVAL)
        for reservation in due.select_related("guest", "property").order_by("pk"):
            with transaction.atomic():
                if guest_email_enqueue(reservation=reservation, kind=GuestEmailKind.PRE_ARRIVAL):
                    claimed += 1
    return claimed


def invoice_email_text(*, invoice, language: str) -> tuple[str, str] | None:
    """The property's wording of the invoice e-mail for a stay's invoice (billing asks
    through its hook, billing.services.invoice_documents); None when the invoice is not a
    stay's (billing keeps its own text)."""
    reservation = (
        Reservation.objects.select_related("guest", "property")
        .filter(folio_id=invoice.folio_id)
        .first()
    )
    if reservation is None:
        return None
    return guest_email_render(
        reservation=reservation,
        kind=GuestEmailKind.INVOICE,
        language=language,
        extra={"invoice_number": invoice.number},
    )


# --- the guest's page (pre-arrival) -----------------------------------------------------


def guest_page_token(reservation: Reservation) -> str:
    """A signed token naming the reservation and its expiry (the day after departure)."""
    expires = reservation.departure + timedelta(days=1)
    return signing.dumps(
        {"r": str(reservation.public_id), "e": expires.isoformat()}, salt=GUEST_PAGE_SALT
    )


def guest_page_url(reservation: Reservation) -> str:
    path = reverse(
        "booking:guest_page",
        kwargs={"slug": reservation.property.slug, "token": guest_page_token(reservation)},
    )
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def guest_page_reservation(*, property: Property, token: str, today: date | None = None):
    """The reservation a guest page's token names. Raises NotFound (forged, another
    property's, expired, cancelled)."""
    try:
        data = signing.loads(token, salt=GUEST_PAGE_SALT)
        expires = date.fromisoformat(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise NotFound(_("This link is not valid."))
    if (today or property.business_date()) > expires:
        raise NotFound(_("This link has expired."))
    reservation = (
        Reservation.objects.select_related("guest", "property")
        .filter(property=property, public_id=data["r"])
        .exclude(status__in=(Reservation.Status.CANCELLED, Reservation.Status.NO_SHOW))
        .first()
    )
    if reservation is None:
        raise NotFound(_("This link is not valid."))
    return reservation


@transaction.atomic
def reservation_arrival_time_set(*, reservation: Reservation, value: str) -> Reservation:
    """The guest says when they arrive (HH:MM). Raises InvalidInput."""
    try:
        arrival_time = datetime.strptime((value or "").strip(), "%H:%M").time()
    except ValueError:
        raise InvalidInput(_("Enter a time such as 18:30."), extra={"field": "arrival_time"})
    Reservation.objects.filter(pk=reservation.pk).update(
        expected_arrival_time=arrival_time, updated_at=timezone.now()
    )
    reservation.expected_arrival_time = arrival_time
    audit_log(
        action="pms.reservation.arrival_time_set",
        property=reservation.property,
        target=reservation,
        data={"time": arrival_time.strftime("%H:%M"), "by": "guest"},
    )
    return reservation
