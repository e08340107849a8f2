"""Alerts (REP-2): detect, deduplicate, acknowledge, digest.

`alerts_evaluate` runs every rule of a property (beat, every 15 minutes) and writes one
unresolved alert per cause: a cause already alerted is found by the partial unique index
(`INSERT … ON CONFLICT DO NOTHING`), never duplicated. A state cause that is gone (stock
received, feed working again) resolves its alert; an event (a basket, a drawer's difference)
stays until a manager acknowledges it. Reads only the documents of the other apps."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.models import FolioLine, JournalEntry
from billing.services.journal import JET_VERIFICATION_FAILED, JET_VERIFICATION_PASSED
from channels_sync.models import ChannelConnection
from core.exceptions import InvalidInput
from core.models import Property, Role
from core.outbox import outbox_enqueue
from devices.models import PrintJob
from inventory.models import CapacityBucket, CapacityPool, StockLevel
from pms.models import Reservation, ReservationRoom
from pos.models import CashSession, OfflineConflict, OfflineOperation
from reporting.models import Alert, AlertSettings
from reporting.periods import Period
from reporting.selectors import tickets_counted
from reporting.staff import staff_performance
from timeclock.selectors import forgotten_shifts
from webhooks.services import webhook_emit

MONEY = DecimalField(max_digits=14, decimal_places=2)
MAD_SCALE = Decimal("1.4826")  # MAD × 1.4826 estimates a standard deviation (normal data)
BASKET_HISTORY_DAYS = 30
BASKET_MIN_HISTORY = 20  # fewer tickets than this in 30 days: no basket rule for the outlet
RATE_MIN_TICKETS = 10  # an employee with fewer tickets that day is not judged
RATE_FLOOR = Decimal("5")  # percent: a rate below this is never "far above" the team
DIGEST_TASK = "reporting.tasks.alert_digest_task"


@dataclass(frozen=True)
class Finding:
    kind: str
    cause: str
    data: dict


def settings_for(property: Property) -> AlertSettings:
    return AlertSettings.objects.filter(property=property).first() or AlertSettings(
        property=property
    )


def _low_stock(property: Property) -> list[Finding]:
    left = CapacityBucket.objects.filter(pool=OuterRef("pk"), day__isnull=True)
    pools = (
        CapacityPool.objects.filter(
            property=property, kind=CapacityPool.Kind.STOCK, reorder_point__isnull=False
        )
        .annotate(left=Subquery(left.values(remaining=F("capacity") - F("sold"))[:1]))
        .filter(left__lte=F("reorder_point"))
    )
    return [
        Finding(
            Alert.Kind.LOW_STOCK,
            f"stock:{p.pk}",
            {"name": p.name, "left": p.left, "reorder_point": p.reorder_point},
        )
        for p in pools
    ] + _low_stock_levels(property)


def _low_stock_levels(property: Property) -> list[Finding]:
    """Stock kept in the ledger: each level at or below its reorder point, or below zero (a
    property that sells below zero is alerted at once), names its item and location."""
    levels = (
        StockLevel.objects.filter(property=property)
        .filter(Q(quantity__lte=F("reorder_point")) | Q(quantity__lt=0))
        .select_related("item", "location")
        .order_by("item__name", "location__name")
    )
    return [
        Finding(
            Alert.Kind.LOW_STOCK,
            f"stock-level:{lv.pk}",
            {
                "name": lv.item.name,
                "location": lv.location.name,
                "left": f"{lv.quantity.normalize():f} {lv.item.get_base_unit_display()}",
                "reorder_point": f"{(lv.reorder_point or 0):f}".rstrip("0").rstrip(".") or "0",
            },
        )
        for lv in levels
    ]


def _unusual_baskets(property: Property, today: date, k: Decimal) -> list[Finding]:
    """Tickets of yesterday and today far from their outlet's last 30 days (median ± k·MAD)."""
    recent = Period(today - timedelta(days=1), today)
    history = Period(
        recent.start - timedelta(days=BASKET_HISTORY_DAYS), recent.start - timedelta(days=1)
    )
    past: dict[str, list[Decimal]] = {}
    for outlet, net in tickets_counted([property.pk], history).values_list(
        "outlet", F("total") - F("total_vat")
    ):
        past.setdefault(outlet, []).append(net)
    bounds = {}
    for outlet, values in past.items():
        if len(values) < BASKET_MIN_HISTORY:
            continue
        middle = median(values)
        mad = median(abs(v - middle) for v in values) * MAD_SCALE
        if mad > 0:
            bounds[outlet] = (middle, mad)
    found = []
    for pk, number, outlet, net in tickets_counted([property.pk], recent).values_list(
        "pk", "number", "outlet", F("total") - F("total_vat")
    ):
        if outlet not in bounds:
            continue
        middle, mad = bounds[outlet]
        if abs(net - middle) > k * mad:
            found.append(
                Finding(
                    Alert.Kind.UNUSUAL_BASKET,
                    f"basket:{pk}",
                    {"ticket": number, "outlet": outlet, "net": str(net), "median": str(middle)},
                )
            )
    return found


def _rates(property: Property, day: date, factor: Decimal) -> list[Finding]:
    """Discount and void rates of each cashier on `day`, against the whole team's. The
    figures are the staff performance screen's (`reporting.staff.staff_performance`)."""
    rows = staff_performance(properties=[property.pk], period=Period(day, day))
    team_discount = sum((r.discounts for r in rows), Decimal(0))
    team_gross = sum((r.before_discounts for r in rows), Decimal(0))
    team_tickets = sum(r.tickets for r in rows)
    team_voids = sum(r.voids for r in rows)
    found = []
    for r in rows:
        if r.tickets < RATE_MIN_TICKETS:
            continue
        checks = [
            (Alert.Kind.DISCOUNT_RATE, r.discounts, r.before_discounts, team_discount, team_gross),
            (Alert.Kind.VOID_RATE, r.voids, r.tickets, team_voids, team_tickets),
        ]
        for kind, mine, base, team, team_base in checks:
            if not base or not team_base:
                continue
            rate = Decimal(mine) * 100 / Decimal(base)
            team_rate = Decimal(team) * 100 / Decimal(team_base)
            if rate >= RATE_FLOOR and rate > factor * team_rate:
                found.append(
                    Finding(
                        kind,
                        f"{kind}:{r.user_id}:{day}",
                        {
                            "employee": r.username,
                            "day": str(day),
                            "rate": f"{rate:.1f}",
                            "team": f"{team_rate:.1f}",
                        },
                    )
                )
    return found


def _cash_finding(session: CashSession) -> Finding:
    return Finding(
        Alert.Kind.CASH_DIFFERENCE,
        f"cash:{session.pk}",
        {
            "terminal": str(session.terminal_id),
            "day": str(session.business_date),
            "difference": str(session.difference),
        },
    )


def _cash(property: Property, today: date, threshold: Decimal) -> list[Finding]:
    sessions = CashSession.objects.filter(
        property=property,
        status=CashSession.Status.CLOSED,
        business_date__gte=today - timedelta(days=1),
    ).filter(Q(difference__gt=threshold) | Q(difference__lt=-threshold))
    return [_cash_finding(s) for s in sessions]


def alerts_raise(
    *, property: Property, findings: list[Finding], now: datetime | None = None
) -> list[Alert]:
    """Record the findings as alerts, in the caller's transaction; a cause already alerted
    (by this call's caller or a concurrent one: the partial unique index keeps one) adds
    nothing. Each alert really raised is sent to the property's `alert.raised` webhook
    subscribers. Returns those alerts (pk order)."""
    if not findings:
        return []
    now = now or timezone.now()
    Alert.objects.bulk_create(
        [
            Alert(property=property, kind=f.kind, cause=f.cause, data=f.data, created_at=now)
            for f in findings
        ],
        ignore_conflicts=True,
    )
    # (ignore_conflicts sets no primary keys: read back the rows this call wrote)
    fresh = list(
        Alert.objects.filter(
            property=property,
            resolved_at__isnull=True,
            created_at=now,
            cause__in=[f.cause for f in findings],
        ).order_by("pk")
    )
    for alert in fresh:
        webhook_emit(
            property=property, event="alert.raised", data=lambda a=alert: _event(a, property)
        )
    return fresh


def _event(alert: Alert, property: Property) -> dict:
    """alert.raised's data (version 1, webhooks.schema), worded in the property's language."""
    with translation.override(property.default_language or "fr"):
        return {
            "id": alert.pk,
            "kind": alert.kind,
            "cause": alert.cause,
            "message": alert_message(alert),
            "data": alert.data,
            "created_at": alert.created_at,
        }


def offline_conflict_alerts(*, property_id: int) -> int:
    """The unresolved offline conflicts' alerts raised in the sync's transaction (the
    manager sees "Offline sale conflict" at once, not at the next beat, which finds the
    same causes and adds nothing). Returns how many alerts are open for them."""
    prop = Property.objects.get(pk=property_id)
    findings = _offline_conflicts(prop)
    if not findings:
        return 0
    with transaction.atomic():
        alerts_raise(property=prop, findings=findings)
    return len(findings)


def offline_void_alert(*, operation: OfflineOperation) -> None:
    """A void made offline that its manager's PIN did not approve at sync: an event alert
    (it stays until a manager acknowledges it), one per queued void."""
    device = operation.device
    data = {
        "device": device.label(),
        "line": str(operation.payload.get("line_id") or operation.payload.get("line_key") or ""),
        "approver": str(operation.payload.get("approver") or ""),
        "reason": operation.reason,
    }
    Alert.objects.bulk_create(
        [
            Alert(
                property_id=operation.property_id,
                kind=Alert.Kind.OFFLINE_VOID,
                cause=f"offline-void:{operation.pk}",
                data=data,
                created_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )


def cash_close_alert(*, session: CashSession) -> Alert | None:
    """A drawer closed with a difference beyond the property's threshold raises its alert in
    the closing transaction itself: the manager's inbox shows it at once, not at the next
    beat (which finds the same cause and adds nothing). Returns the open alert, if any."""
    if session.status != CashSession.Status.CLOSED or session.difference is None:
        return None
    threshold = settings_for(session.property).cash_threshold
    if abs(session.difference) <= threshold:
        return None
    finding = _cash_finding(session)
    with transaction.atomic():
        fresh = alerts_raise(property=session.property, findings=[finding])
        if fresh:
            return fresh[0]
        return Alert.objects.filter(
            property_id=session.property_id, cause=finding.cause, resolved_at__isnull=True
        ).first()


def _feeds(property: Property) -> list[Finding]:
    feeds = ChannelConnection.objects.filter(
        property=property,
        is_active=True,
        last_status__in=(ChannelConnection.Status.FAILED, ChannelConnection.Status.SUSPICIOUS),
    ).select_related("room")
    return [
        Finding(
            Alert.Kind.ICAL_FEED,
            f"ical:{c.pk}",
            {"feed": str(c), "status": c.last_status, "message": c.last_message[:200]},
        )
        for c in feeds
    ]


def _prints(property: Property) -> list[Finding]:
    jobs = PrintJob.objects.filter(
        property=property,
        status=PrintJob.Status.FAILED,
        created_at__gte=timezone.now() - timedelta(days=2),
    ).select_related("printer")
    return [
        Finding(
            Alert.Kind.PRINT_FAILED,
            f"print:{j.pk}",
            {"printer": str(j.printer), "kind": j.kind, "error": j.last_error[:200]},
        )
        for j in jobs
    ]


def _journal(property: Property) -> list[Finding]:
    last = (
        JournalEntry.objects.filter(
            property=property,
            chain=JournalEntry.Chain.JET,
            code__in=[JET_VERIFICATION_PASSED, JET_VERIFICATION_FAILED],
        )
        .order_by("-sequence")
        .values_list("code", "business_date")
        .first()
    )
    if last and last[0] == JET_VERIFICATION_FAILED:
        return [Finding(Alert.Kind.JOURNAL, "journal", {"day": str(last[1])})]
    return []


def _night_audit(property: Property, today: date) -> list[Finding]:
    """Last night had guests in house but no room night was posted for it."""
    night = today - timedelta(days=1)
    stayed = ReservationRoom.objects.filter(
        reservation__property=property,
        reservation__status__in=(Reservation.Status.IN_HOUSE, Reservation.Status.CHECKED_OUT),
        reservation__arrival__lte=night,
        reservation__departure__gt=night,
        is_cancelled=False,
    ).exists()
    if not stayed:
        return []
    posted = FolioLine.objects.filter(
        folio__property=property, revenue_category="accommodation", service_date=night
    ).exists()
    return (
        []
        if posted
        else [Finding(Alert.Kind.NIGHT_AUDIT, f"night_audit:{night}", {"night": str(night)})]
    )


def _offline_conflicts(property: Property) -> list[Finding]:
    """What offline sales could not do as made (a unit sold meanwhile online, a room charged
    after its guest left), until a manager resolves it on the offline screen."""
    conflicts = OfflineConflict.objects.filter(
        property=property, resolved_at__isnull=True
    ).select_related("ticket__order__ticket", "ticket__device__terminal")
    return [
        Finding(
            Alert.Kind.OFFLINE_CONFLICT,
            f"offline:{c.pk}",
            {
                "conflict": c.kind,
                "device": str(c.ticket.device.terminal),
                "device_sequence": c.ticket.sequence,
                "ticket": c.ticket.order.ticket.number if c.ticket.order_id else None,
                **c.data,
            },
        )
        for c in conflicts
    ]


def _clock_outs(property: Property) -> list[Finding]:
    """A shift still open long after it should have ended (timeclock's rule: the property's
    hours, or its planned end and margin): one alert per shift, resolved once it is closed."""
    return [
        Finding(
            kind=Alert.Kind.CLOCK_OUT,
            cause=f"clock-out:{shift.pk}",
            data={
                "shift": shift.pk,
                "user": shift.user_id,
                "employee": shift.user.get_full_name() or shift.user.username,
                "since": date_format(timezone.localtime(shift.clock_in, property.tz), "d/m/Y H:i"),
            },
        )
        for shift in forgotten_shifts(property=property)
    ]


def clock_out_alert_resolve(*, shift) -> int:
    """The shift is closed: its forgotten clock-out alert (if any) is resolved now, in the
    closing transaction, rather than at the next beat. Returns how many were resolved."""
    return Alert.objects.filter(
        property_id=shift.property_id, cause=f"clock-out:{shift.pk}", resolved_at__isnull=True
    ).update(resolved_at=timezone.now())


def alerts_detect(*, property: Property, today: date | None = None) -> list[Finding]:
    """Every cause an alert rule finds now at `property` (nothing is written)."""
    today = today or property.business_date()
    config = settings_for(property)
    return [
        *_low_stock(property),
        *_unusual_baskets(property, today, config.basket_k),
        *_rates(property, today - timedelta(days=1), config.rate_factor),
        *_cash(property, today, config.cash_threshold),
        *_feeds(property),
        *_prints(property),
        *_journal(property),
        *_night_audit(property, today),
        *_offline_conflicts(property),
        *_clock_outs(property),
    ]


def alerts_evaluate(*, property: Property, today: date | None = None) -> list[Alert]:
    """Detect and record: one unresolved alert per cause; state alerts whose cause is gone are
    resolved. Returns the alerts created by this run."""
    findings = alerts_detect(property=property, today=today)
    now = timezone.now()
    with transaction.atomic():
        causes = {f.cause for f in findings}
        existing = set(
            Alert.objects.filter(
                property=property, resolved_at__isnull=True, cause__in=causes
            ).values_list("cause", flat=True)
        )
        fresh = alerts_raise(
            property=property,
            findings=[f for f in findings if f.cause not in existing],
            now=now,
        )
        Alert.objects.filter(
            property=property, resolved_at__isnull=True, kind__in=Alert.STATE_KINDS
        ).exclude(cause__in=causes).update(resolved_at=now)
    return fresh


def alert_acknowledge(*, alert: Alert, actor, note: str = "") -> Alert:
    """A manager has seen the alert (and says what was done). Once only."""
    note = note.strip()
    if len(note) > 500:
        raise InvalidInput(_("A note has 500 characters at most."))
    with transaction.atomic():
        updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=actor, note=note
        )
        if not updated:
            raise InvalidInput(_("This alert was already acknowledged."))
    alert.refresh_from_db()
    return alert


def alert_message(alert: Alert) -> str:
    """The alert in the reader's language (stored as data, worded when shown)."""
    d = alert.data
    messages = {
        Alert.Kind.LOW_STOCK: _("%(name)s: %(left)s left (reorder point %(reorder_point)s)."),
        Alert.Kind.UNUSUAL_BASKET: _(
            "Ticket %(ticket)s at %(outlet)s: %(net)s HT, far from the usual %(median)s."
        ),
        Alert.Kind.DISCOUNT_RATE: _(
            "%(employee)s gave %(rate)s %% in discounts on %(day)s (team: %(team)s %%)."
        ),
        Alert.Kind.VOID_RATE: _(
            "%(employee)s voided %(rate)s %% of their tickets on %(day)s (team: %(team)s %%)."
        ),
        Alert.Kind.CASH_DIFFERENCE: _(
            "A drawer closed on %(day)s with a difference of %(difference)s."
        ),
        Alert.Kind.ICAL_FEED: _("The feed %(feed)s is %(status)s: %(message)s"),
        Alert.Kind.PRINT_FAILED: _("A print job failed on %(printer)s: %(error)s"),
        Alert.Kind.JOURNAL: _("The fiscal journal verification of %(day)s failed."),
        Alert.Kind.NIGHT_AUDIT: _("The night audit of %(night)s has not been run."),
        Alert.Kind.OFFLINE_VOID: _(
            "A void made offline on %(device)s was refused at sync, the item stands: %(reason)s"
        ),
        Alert.Kind.CLOCK_OUT: _(
            "%(employee)s clocked in on %(since)s and has not clocked out: close the shift "
            "on the hours screen."
        ),
        Alert.Kind.OFFLINE_CONFLICT: _(
            "An offline sale of %(device)s (device ticket %(device_sequence)s, ticket "
            "%(ticket)s) needs checking: %(conflict)s."
        ),
    }
    if alert.kind == Alert.Kind.ICAL_FEED and d.get("status") in ChannelConnection.Status.values:
        d = {**d, "status": ChannelConnection.Status(d["status"]).label}
    try:
        return messages[alert.kind] % d
    except (KeyError, TypeError, ValueError):
        return alert.get_kind_display()


def alert_digest_request(*, property: Property) -> int:
    """Put the alerts no digest has carried yet into one e-mail to the managers (through the
    outbox); the rows are marked in the same transaction, so each alert is sent once."""
    with transaction.atomic():
        pending = list(
            Alert.objects.select_for_update()
            .filter(property=property, resolved_at__isnull=True, digested_at__isnull=True)
            .order_by("created_at", "pk")
        )
        if not pending:
            return 0
        Alert.objects.filter(pk__in=[a.pk for a in pending]).update(digested_at=timezone.now())
        outbox_enqueue(
            task=DIGEST_TASK,
            kwargs={"property_id": property.pk, "alert_ids": [a.pk for a in pending]},
            property=property,
        )
    return len(pending)


def alert_digest_send(*, property_id: int, alert_ids: list[int]) -> int:
    """The digest e-mail itself (run by the outbox's task, after commit)."""
    from django.core.mail import send_mail
    from django.utils import translation

    prop = Property.objects.get(pk=property_id)
    recipients = sorted(
        set(
            get_user_model()
            .objects.filter(
                memberships__property=prop,
                memberships__role__in=[Role.MANAGER, Role.ADMIN],
                memberships__is_active=True,
                is_active=True,
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    alerts = list(Alert.objects.filter(pk__in=alert_ids).order_by("created_at", "pk"))
    if not recipients or not alerts:
        return 0
    with translation.override(prop.default_language or "fr"):
        subject = ngettext(
            "%(property)s: %(count)s new alert",
            "%(property)s: %(count)s new alerts",
            len(alerts),
        ) % {"property": prop.name, "count": len(alerts)}
        body = "\n".join(f"- {a.get_kind_display()}: {alert_message(a)}" for a in alerts)
    return send_mail(subject, body, None, recipients)
