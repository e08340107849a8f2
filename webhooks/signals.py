"""Drop the cached list of a property's active subscriptions when one changes (including
the `.update()` calls of webhooks.services, which say so themselves)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from webhooks.models import WebhookSubscription
from webhooks.services import webhooks_forget


@receiver([post_save, post_delete], sender=WebhookSubscription)
def _subscription_changed(sender, instance: WebhookSubscription, **kwargs) -> None:
    webhooks_forget(instance.property_id)
