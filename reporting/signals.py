"""What reporting answers inside another app's transaction, without that app importing it
(reporting sits above every app): a drawer closed with a large difference raises its alert
in the closing transaction, and an offline sale's conflict in the sync's."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from pos.models import CashSession
from pos.signals import offline_conflicts_recorded


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
