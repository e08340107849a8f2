"""What reporting answers inside another app's transaction, without that app importing it
(reporting sits above every app): a drawer closed with a large difference raises its alert
in the closing transaction, an offline sale's conflict in the sync's, and so does a void
made offline that its manager's PIN did not approve; a forgotten shift closed by a manager
resolves its clock-out alert in the closing transaction."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from pos.models import CashSession
from pos.signals import offline_conflicts_recorded, offline_void_refused
from timeclock.signals import shift_closed


@receiver(post_save, sender=CashSession)
def cash_session_saved(sender, instance: CashSession, created: bool, **kwargs) -> None:
    if created or instance.status != CashSession.Status.CLOSED:
        return
    from reporting.services import cash_close_alert

    cash_close_alert(session=instance)


@receiver(offline_conflicts_recorded)
def offline_conflicts_synced(sender, property_id: int, **kwargs) -> None:
    from reporting.services import offline_conflict_alerts

    offline_conflict_alerts(property_id=property_id)


@receiver(offline_void_refused)
def offline_void_refused_synced(sender, operation, **kwargs) -> None:
    from reporting.services import offline_void_alert

    offline_void_alert(operation=operation)


@receiver(shift_closed)
def forgotten_shift_closed(sender, shift, **kwargs) -> None:
    from reporting.services import clock_out_alert_resolve

    clock_out_alert_resolve(shift=shift)
