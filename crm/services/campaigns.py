"""Segments and campaigns: save, queue, send at the campaign's rate, track (CRM-2, CRM-3).

crm keeps the audiences' data and the e-mails; who is in a segment is read by reporting
(reporting.segments), which hands the guest ids to `campaign_queue`. Queueing is one bulk
insert (idempotent by the recipient's key); a beat task releases at most the campaign's
rate per minute into the outbox, and the outbox task sends each e-mail: the voucher is
issued then (crm.services.gift_cards), only to a guest who still consents (CPCE L34-5).
Links in the e-mail are signed: the unsubscribe (RFC 8058 one-click), the open pixel and the
clicks, which redirect only to the URL that was signed, one of the property's own.
"""

import string
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput, NotFound
from core.models import Property
from core.money import quantize
from core.outbox import outbox_enqueue
from crm.models import Campaign, CampaignRecipient, Consent, Guest, Segment
from crm.segments import segment_rules_clean
from crm.services.bounces import RECIPIENT_HEADER, hard_bounce_exists, hard_bounced
from inventory.models import GiftCardKind, RevenueCategory

PLACEHOLDERS = (
    "first_name",
    "last_name",
    "property",
    "voucher_code",
    "voucher_value",
    "voucher_expires",
    "link",
)
SIGNING_SALT = "crm.campaign.link"
BATCH_MAX = 500  # recipients per outbox message (a minute's worth at most)
UNSUBSCRIBE_WORDING = "Unsubscribed with the link of a marketing e-mail."


def _placeholders_check(text: str, *, label: str) -> None:
    try:
        names = [field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field]
    except ValueError:
        raise InvalidInput(_("%(label)s: a brace is not closed.") % {"label": label})
    unknown = sorted({n for n in names if n not in PLACEHOLDERS})
    if unknown:
        raise InvalidInput(
            _("%(label)s: unknown placeholder {%(name)s}. Use one of: %(known)s.")
            % {
                "label": label,
                "name": unknown[0],
                "known": ", ".join("{" + p + "}" for p in PLACEHOLDERS),
            }
        )


def segment_save(
    *,
    property: Property,
    name: str,
    match: str,
    rules: list[dict],
    actor,
    segment: Segment | None = None,
) -> Segment:
    """Create or change a segment. Raises InvalidInput (no name, no rule, a bad rule):
    nothing is saved then."""
    name = (name or "").strip()[:100]
    if not name:
        raise InvalidInput(_("Give the segment a name."))
    if match not in Segment.Match.values:
        raise InvalidInput(_("Choose how the rules combine."))
    cleaned = segment_rules_clean(rules)
    with transaction.atomic():
        if segment is None:
            segment = Segment(property=property)
        segment.name, segment.match, segment.rules = name, match, cleaned
        segment.save()
        audit_log(
            action="crm.segment.saved",
            property=property,
            actor=actor,
            target=segment,
            data={"match": match, "rules": cleaned},
        )
    return segment


def _money(value, *, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = quantize(Decimal(str(value).replace(",", ".")))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("%(label)s: enter an amount.") % {"label": label})
    return amount


def campaign_save(*, property: Property, actor, **fields) -> Campaign:
    """Create a campaign (a draft; `campaign_start` sends or arms it). Checks the templates'
    placeholders, the voucher (an amount, or a percentage with the most it takes off) and
    the rate. Raises InvalidInput; nothing is saved then."""
    segment = Segment.objects.filter(pk=fields.get("segment_id"), property=property).first()
    if segment is None:
        raise InvalidInput(_("Choose a segment."))
    name = (fields.get("name") or "").strip()[:100]
    if not name:
        raise InvalidInput(_("Give the campaign a name."))
    trigger = fields.get("trigger") or Campaign.Trigger.ONE_OFF
    if trigger not in Campaign.Trigger.values:
        raise InvalidInput(_("Choose when the campaign is sent."))
    texts = {}
    for key, label in (
        ("subject_fr", _("Subject (French)")),
        ("body_fr", _("Message (French)")),
        ("subject_en", _("Subject (English)")),
        ("body_en", _("Message (English)")),
    ):
        texts[key] = (fields.get(key) or "").strip()
        if not texts[key]:
            raise InvalidInput(_("%(label)s is empty.") % {"label": label})
        _placeholders_check(texts[key], label=label)
    amount = _money(fields.get("voucher_amount"), label=_("Voucher amount"))
    if amount is not None and amount <= 0:
        raise InvalidInput(_("The voucher amount must be positive."))
    percent = fields.get("voucher_percent")
    if percent not in (None, ""):
        try:
            percent = Decimal(str(percent).replace(",", "."))
        except InvalidOperation:
            raise InvalidInput(_("Voucher percentage: enter a number."))
        if not (0 < percent <= 100):
            raise InvalidInput(_("A percentage must be more than 0 and at most 100."))
        if amount is None:
            raise InvalidInput(
                _("A percentage voucher needs an amount: the most it takes off a purchase.")
            )
    else:
        percent = None
    categories = [c for c in fields.get("voucher_categories") or [] if c]
    if any(c not in RevenueCategory.values for c in categories):
        raise InvalidInput(_("Unknown revenue category."))
    try:
        days = int(fields.get("trigger_days") or 0)
        validity = int(fields.get("voucher_validity_days") or 90)
        rate = int(fields.get("send_rate_per_minute") or 60)
    except ValueError:
        raise InvalidInput(_("Days, validity and rate are whole numbers."))
    if days < 0 or days > 365 or validity < 1 or rate < 1:
        raise InvalidInput(
            _("Days are between 0 and 365; the validity and the rate are at least 1.")
        )
    season_start = fields.get("season_start") or None
    if trigger == Campaign.Trigger.BEFORE_SEASON and not season_start:
        raise InvalidInput(_("Enter the day the season starts."))
    with transaction.atomic():
        campaign = Campaign(
            property=property,
            name=name,
            segment=segment,
            trigger=trigger,
            trigger_days=days,
            season_start=season_start,
            voucher_amount=amount,
            voucher_percent=percent,
            voucher_validity_days=validity,
            voucher_categories=categories,
            voucher_outlets=[o for o in fields.get("voucher_outlets") or [] if o],
            voucher_single_use=bool(fields.get("voucher_single_use", True)),
            send_rate_per_minute=rate,
            created_by=actor if getattr(actor, "pk", None) else None,
            **texts,
        )
        campaign.full_clean()
        campaign.save()
        audit_log(
            action="crm.campaign.created",
            property=property,
            actor=actor,
            target=campaign,
            data={"segment": segment.pk, "trigger": trigger},
        )
    return campaign


def campaign_start(*, campaign: Campaign, actor) -> Campaign:
    """A draft goes live: a triggered campaign waits for its beat task; a one-off one is
    queued by the caller (reporting, which reads the segment) right after."""
    with transaction.atomic():
        updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
            status=Campaign.Status.ACTIVE
        )
        if updated:
            audit_log(
                action="crm.campaign.started",
                property=campaign.property,
                actor=actor,
                target=campaign,
            )
    campaign.refresh_from_db(fields=["status"])
    return campaign


def campaign_queue(
    *, campaign: Campaign, recipients: Iterable[tuple[int, str]], now: datetime | None = None
) -> int:
    """Queue one e-mail per (guest id, key), in bulk; a key already queued is skipped, so a
    beat task that runs twice queues nothing twice. Guests without marketing consent are
    left out here and checked again when sending. Returns how many were queued."""
    now = now or timezone.now()
    pairs = list(recipients)
    if not pairs:
        return 0
    consenting = set(
        Guest.objects.filter(
            pk__in={gid for gid, _k in pairs},
            marketing_opt_in=True,
            merged_into__isnull=True,
        )
        .exclude(email="")
        .exclude(hard_bounce_exists())  # the address does not exist (a hard bounce)
        .values_list("pk", flat=True)
    )
    rows = [
        CampaignRecipient(campaign=campaign, guest_id=gid, key=key[:60], queued_at=now)
        for gid, key in pairs
        if gid in consenting
    ]
    with transaction.atomic():
        before = CampaignRecipient.objects.filter(campaign=campaign).count()
        CampaignRecipient.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        queued = CampaignRecipient.objects.filter(campaign=campaign).count() - before
        if campaign.trigger == Campaign.Trigger.ONE_OFF:
            Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENT)
    return queued


def campaigns_release_due(*, now: datetime | None = None) -> int:
    """Beat, every minute: for each campaign with queued e-mails, at most its rate per
    minute goes to the outbox (one message per batch), never twice within a minute. The
    recipients are claimed by a compare-and-set update, so two beats release them once.
    Returns how many e-mails were released."""
    now = now or timezone.now()
    released = 0
    due = (
        Campaign.objects.filter(recipients__status=CampaignRecipient.Status.QUEUED)
        .filter(Q(last_batch_at__isnull=True) | Q(last_batch_at__lte=now - timedelta(minutes=1)))
        .distinct()
        .order_by("pk")
    )
    for campaign in list(due):
        with transaction.atomic():
            claimed = (
                Campaign.objects.filter(pk=campaign.pk)
                .filter(
                    Q(last_batch_at__isnull=True) | Q(last_batch_at__lte=now - timedelta(minutes=1))
                )
                .update(last_batch_at=now)
            )
            if not claimed:
                continue
            ids = list(
                CampaignRecipient.objects.filter(
                    campaign=campaign, status=CampaignRecipient.Status.QUEUED
                )
                .order_by("pk")
                .values_list("pk", flat=True)[: campaign.send_rate_per_minute]
            )
            CampaignRecipient.objects.filter(
                pk__in=ids, status=CampaignRecipient.Status.QUEUED
            ).update(status=CampaignRecipient.Status.SENDING)
            for start in range(0, len(ids), BATCH_MAX):
                outbox_enqueue(
                    task="crm.tasks.campaign_batch_send_task",
                    kwargs={"recipient_ids": ids[start : start + BATCH_MAX]},
                    property=campaign.property,
                )
            released += len(ids)
    return released


def link_token(recipient: CampaignRecipient, *, url: str = "") -> str:
    """The signed, unguessable part of a recipient's links (its random token inside)."""
    payload = {"t": recipient.token.hex}
    if url:
        payload["u"] = url
    return signing.dumps(payload, salt=SIGNING_SALT, compress=True)


def link_read(token: str) -> tuple[CampaignRecipient, str]:
    """The recipient (and the signed URL) a link names. Raises NotFound on a forged one."""
    try:
        payload = signing.loads(token, salt=SIGNING_SALT)
    except signing.BadSignature:
        raise NotFound(_("This link is not valid."))
    recipient = (
        CampaignRecipient.objects.select_related("guest", "campaign", "campaign__property")
        .filter(token=payload.get("t"))
        .first()
    )
    if recipient is None:
        raise NotFound(_("This link is not valid."))
    return recipient, payload.get("u", "")


def allowed_link(*, property: Property, url: str) -> bool:
    """A click may lead only to the property's own addresses (this site, its websites)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    origin = f"{parts.scheme}://{parts.netloc}"
    own = {settings.PUBLIC_BASE_URL.rstrip("/"), *property.booking_embed_origins()}
    return origin in own


def recipient_opened(*, token: str, now: datetime | None = None) -> None:
    """The tracking pixel was loaded: the first open is kept."""
    recipient, _url = link_read(token)
    CampaignRecipient.objects.filter(pk=recipient.pk, opened_at__isnull=True).update(
        opened_at=now or timezone.now()
    )


def recipient_clicked(*, token: str, now: datetime | None = None) -> str:
    """A link was followed: the first click is kept (an open too: images may be blocked).
    Returns the URL to go to. Raises NotFound when it is not one of the property's."""
    recipient, url = link_read(token)
    if not url or not allowed_link(property=recipient.campaign.property, url=url):
        raise NotFound(_("This link is not valid."))
    now = now or timezone.now()
    CampaignRecipient.objects.filter(pk=recipient.pk, clicked_at__isnull=True).update(
        clicked_at=now
    )
    CampaignRecipient.objects.filter(pk=recipient.pk, opened_at__isnull=True).update(opened_at=now)
    return url


def recipient_unsubscribe(*, token: str) -> Guest:
    """One click, no login (RFC 8058): the guest's consent is withdrawn, recorded as a new
    consent row with its wording. Idempotent. Raises NotFound on a forged token."""
    recipient, _url = link_read(token)
    guest = recipient.guest
    with transaction.atomic():
        if recipient.unsubscribed_at is None:
            CampaignRecipient.objects.filter(pk=recipient.pk).update(unsubscribed_at=timezone.now())
        if guest.marketing_opt_in:
            Consent.objects.create(
                guest=guest,
                purpose="marketing",
                given=False,
                source=Consent.Source.UNSUBSCRIBE,
                wording=UNSUBSCRIBE_WORDING,
                language=guest.language,
                property=recipient.campaign.property,
            )
            Guest.objects.filter(pk=guest.pk).update(marketing_opt_in=False)
            guest.marketing_opt_in = False
            audit_log(
                action="crm.consent.unsubscribed",
                property=recipient.campaign.property,
                actor=None,
                target=guest,
                data={"campaign": recipient.campaign_id},
            )
    return guest


def _voucher_for(recipient: CampaignRecipient):
    """The recipient's voucher, issued once (idempotent by source)."""
    from crm.services.gift_cards import gift_card_issue

    campaign = recipient.campaign
    if campaign.voucher_amount is None:
        return None
    return gift_card_issue(
        property=campaign.property,
        amount=campaign.voucher_amount,
        kind=GiftCardKind.PROMOTIONAL,
        source=f"campaign:{campaign.pk}:{recipient.pk}",
        validity_days=campaign.voucher_validity_days,
        single_use=campaign.voucher_single_use,
        guest=recipient.guest,
        percent=campaign.voucher_percent,
        valid_categories=campaign.voucher_categories,
        valid_outlets=campaign.voucher_outlets,
        campaign=campaign,
    )


def _voucher_value(campaign: Campaign) -> str:
    from core.formatting import money as format_money

    if campaign.voucher_amount is None:
        return ""
    if campaign.voucher_percent is not None:
        return _("%(percent)s %% (up to %(amount)s)") % {
            "percent": f"{campaign.voucher_percent.normalize():f}",
            "amount": format_money(campaign.voucher_amount),
        }
    return format_money(campaign.voucher_amount)


def campaign_render(
    *, campaign: Campaign, guest: Guest, code: str = "", expires=None, tokens: dict | None = None
) -> tuple[str, str]:
    """Subject and text of the e-mail for `guest`, in their language (French otherwise)."""
    from core.formatting import day as format_day

    lang = "en" if guest.language == "en" else "fr"
    subject = getattr(campaign, f"subject_{lang}")
    body = getattr(campaign, f"body_{lang}")
    values = {
        "first_name": guest.first_name or guest.last_name,
        "last_name": guest.last_name,
        "property": campaign.property.name,
        "voucher_code": code or "XXXX-XXXX-XXXX-XXXX",
        "voucher_value": _voucher_value(campaign),
        "voucher_expires": format_day(expires) if expires else "",
        "link": (tokens or {}).get(
            "link", settings.PUBLIC_BASE_URL.rstrip("/") + f"/book/{campaign.property.slug}/"
        ),
    }
    return subject.format(**values), body.format(**values)


def _absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def qr_png(data: str) -> bytes:
    """The voucher's code as a QR image (scanned at the till like a typed code)."""
    import io

    import qrcode

    buffer = io.BytesIO()
    qrcode.make(data, box_size=6, border=2).save(buffer, format="PNG")
    return buffer.getvalue()


def campaign_message_send(*, recipient_id: int, connection=None) -> bool:
    """Send one campaign e-mail (called by the outbox task, outside any transaction): the
    voucher is issued in its own short transaction, then the SMTP call, then the status.
    A guest who withdrew consent since queueing, or whose address hard-bounced, is skipped.
    Idempotent: a recipient already sent is left alone. `connection`: the batch's open
    SMTP connection (campaign_batch_send), else one of its own."""
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.urls import reverse

    claimed = CampaignRecipient.objects.filter(
        pk=recipient_id,
        status__in=(CampaignRecipient.Status.SENDING, CampaignRecipient.Status.QUEUED),
    )
    recipient = claimed.select_related("guest", "campaign", "campaign__property").first()
    if recipient is None:
        return False
    guest, campaign = recipient.guest, recipient.campaign
    if not guest.marketing_opt_in or not guest.email or guest.merged_into_id:
        claimed.update(status=CampaignRecipient.Status.SKIPPED)
        return False
    if hard_bounced(guest.email):
        claimed.update(status=CampaignRecipient.Status.SKIPPED, error="hard bounce")
        return False
    with transaction.atomic():
        card = _voucher_for(recipient)
        if card is not None and recipient.gift_card_id is None:
            CampaignRecipient.objects.filter(pk=recipient.pk).update(gift_card=card)
    token = link_token(recipient)
    booking = _absolute(reverse("booking:search", args=[campaign.property.slug]))
    click = _absolute(reverse("campaign_links:click", args=[link_token(recipient, url=booking)]))
    unsubscribe = _absolute(reverse("campaign_links:unsubscribe", args=[token]))
    pixel = _absolute(reverse("campaign_links:open", args=[token]))
    lang = "en" if guest.language == "en" else "fr"
    with translation.override(lang):
        subject, text = campaign_render(
            campaign=campaign,
            guest=guest,
            code=card.code if card else "",
            expires=card.expires_on if card else None,
            tokens={"link": click},
        )
        context = {
            "text": text,
            "card": card,
            "unsubscribe": unsubscribe,
            "pixel": pixel,
            "property": campaign.property,
        }
        body = text + "\n\n" + _("Unsubscribe: %(url)s") % {"url": unsubscribe}
        html = render_to_string("crm/email/campaign.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        to=[guest.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # the mail provider returns it with a bounce (POST /m/bounces/)
            RECIPIENT_HEADER: recipient.token.hex,
        },
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    if card is not None:
        message.attach(f"voucher-{card.code}.png", qr_png(card.code), "image/png")
    try:
        message.send()
    except OSError as exc:  # an SMTP failure: kept on the row, the report counts it
        claimed.update(status=CampaignRecipient.Status.FAILED, error=str(exc)[:200])
        if connection is not None:
            connection.close()  # the batch opens a fresh one for the next e-mail
        return False
    claimed.update(status=CampaignRecipient.Status.SENT, sent_at=timezone.now())
    return True


def campaign_batch_send(*, recipient_ids: Sequence[int]) -> int:
    """Send a released batch through one SMTP connection (opened once, not once per
    e-mail: the mail server's handshake and TLS are the slow part), one e-mail after
    another. Returns how many were sent. Should the connection drop, the e-mails it failed
    are marked failed and the rest go through a new connection."""
    from django.core.mail import get_connection

    sent = 0
    connection = get_connection()
    try:
        connection.open()
    except OSError:
        connection = None  # each message tries on its own, and records its failure
    try:
        for pk in recipient_ids:
            if connection is not None and getattr(connection, "connection", True) is None:
                try:  # closed after a failure: a new one for the rest of the batch
                    connection.open()
                except OSError:
                    pass
            sent += campaign_message_send(recipient_id=pk, connection=connection)
    finally:
        if connection is not None:
            connection.close()
    return sent
