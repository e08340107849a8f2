"""Cache invalidation only: any change to what a feed publishes bumps the property's calendar
version (channels_sync.services.feeds); a deleted feed's token is forgotten. No business
logic lives here."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from channels_sync.models import ChannelBlock, ChannelFeed
from inventory.models import StopSell
from inventory.signals import stop_sells_changed
from pms.models import Reservation, ReservationRoom, RoomAssignment, RoomOutOfOrder


def _bump(property_id) -> None:
    from channels_sync.services.feeds import calendar_version_bump

    if property_id:
        # now and again after commit (a reader may have cached the pre-commit state meanwhile)
        calendar_version_bump(property_id=property_id)
        transaction.on_commit(lambda: calendar_version_bump(property_id=property_id))


def _property_id(instance) -> int | None:
    if isinstance(instance, Reservation):
        return instance.property_id
    if isinstance(instance, ReservationRoom):
        return instance.reservation.property_id
    if isinstance(instance, RoomAssignment | RoomOutOfOrder):
        return instance.room.property_id
    if isinstance(instance, ChannelBlock):
        return instance.connection.property_id
    return None


@receiver(post_save, sender=Reservation)
@receiver(post_save, sender=ReservationRoom)
@receiver(post_save, sender=RoomAssignment)
@receiver(post_save, sender=RoomOutOfOrder)
@receiver(post_save, sender=ChannelBlock)
@receiver(post_delete, sender=RoomAssignment)
@receiver(post_delete, sender=RoomOutOfOrder)
def calendar_changed(sender, instance, **kwargs) -> None:
    _bump(_property_id(instance))


@receiver(post_delete, sender=ChannelFeed)
def feed_deleted(sender, instance, **kwargs) -> None:
    """A deleted feed (its room deleted) stops answering at once, like a revoked one."""
    from channels_sync.services.feeds import token_forget

    token_forget(token=instance.token)


@receiver(stop_sells_changed)
def stop_sells_written(sender, property_id: int, **kwargs) -> None:
    """A stop-sell closes its days in the channel's feed (written in bulk by the calendar)."""
    _bump(property_id)


@receiver([post_save, post_delete], sender=StopSell)
def stop_sell_saved(sender, instance: StopSell, **kwargs) -> None:
    _bump(instance.pool.property_id)
