"""Drop the cached list of an organisation's active subscriptions when one changes (including
the `.update()` calls of webhooks.services, which say so themselves)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.models import Property
from webhooks.models import WebhookSubscription
from webhooks.services import webhooks_forget


@receiver([post_save, post_delete], sender=WebhookSubscription)
def _subscription_changed(sender, instance: WebhookSubscription, **kwargs) -> None:
    organization_id = (
        Property.objects.filter(pk=instance.property_id)
        .values_list("organization_id", flat=True)
        .first()
    )
    if organization_id is not None:
        webhooks_forget(organization_id)
