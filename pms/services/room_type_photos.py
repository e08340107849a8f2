"""Photos of a room type for the booking engine (PMS-1), from the back office: add (checked,
cleaned and resized by core.images), describe in French and English, reorder, delete.
Every change is audited; a removed photo's files go once the removal commits."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.exceptions import InvalidInput, NotFound
from core.idempotency import idempotency_claim, idempotency_result, idempotency_store
from core.images import photo_files_forget, photo_stored
from pms.lock_objects import room_types_for_update
from pms.models import RoomType, RoomTypePhoto

MAX_PHOTOS = 12
PHOTO_SCOPE = "pms.room_type_photo_add"


def _alts(alt_fr: str, alt_en: str) -> tuple[str, str]:
    alt_fr, alt_en = (alt_fr or "").strip(), (alt_en or "").strip()
    if not alt_fr:
        raise InvalidInput(
            _("Describe the photo in French, for the guests who cannot see it."),
            extra={"field": "alt_fr"},
        )
    return alt_fr[:200], alt_en[:200]


def _audit(photo: RoomTypePhoto, *, action: str, actor, before: dict, after: dict) -> None:
    audit_log(
        action=f"pms.room_type_photo.{action}",
        property=photo.room_type.property,
        actor=actor,
        target=photo.room_type,
        data={
            "model": "pms.roomtype",
            "object": str(photo.room_type),
            "photo": photo.pk,
            "before": before,
            "after": after,
        },
    )


def _locked_type(room_type: RoomType) -> RoomType:
    """The room type, locked: its photos' order changes one at a time."""
    (locked,) = room_types_for_update(property_id=room_type.property_id, ids=[room_type.pk]) or [
        None
    ]
    if locked is None:
        raise NotFound()
    return locked


def _replayed(scope: str, key: str) -> RoomTypePhoto | None:
    first = idempotency_result(scope=scope, key=key) or {}
    return RoomTypePhoto.objects.filter(pk=first.get("photo")).first()


def room_type_photo_add(
    *, room_type: RoomType, upload, alt_fr: str, alt_en: str = "", actor=None, key: str = ""
) -> RoomTypePhoto:
    """A new photo, last in the room type's order. Refused (nothing kept) when the file is
    not a JPEG, PNG or WebP photo, too large, undescribed, or the type has MAX_PHOTOS.
    `key`: the form's own key (core.idempotency): a double tap on "Add" adds the photo once
    and the second tap gets the first one back (its uploaded copy is removed)."""
    alt_fr, alt_en = _alts(alt_fr, alt_en)
    key = (key or "").strip()
    scope = f"{PHOTO_SCOPE}:{room_type.property_id}:{room_type.pk}"
    if key and (first := _replayed(scope, key)) is not None:
        return first
    if RoomTypePhoto.objects.filter(room_type=room_type).count() >= MAX_PHOTOS:
        raise InvalidInput(
            _("At most %(n)s photos per room type.") % {"n": MAX_PHOTOS}, extra={"field": "photo"}
        )
    with photo_stored(upload, folder=f"room-types/{room_type.property_id}") as stored:
        with transaction.atomic():
            locked = _locked_type(room_type)
            record_id = idempotency_claim(scope=scope, key=key) if key else None
            if key and record_id is None:  # the first tap committed meanwhile
                photo_files_forget(stored.large, stored.small)
                first = _replayed(scope, key)
                if first is None:
                    raise InvalidInput(_("This photo is already being added."))
                return first
            last = (
                RoomTypePhoto.objects.filter(room_type=locked)
                .order_by("-sort_order")
                .values_list("sort_order", flat=True)
                .first()
            )
            photo = RoomTypePhoto.objects.create(
                property_id=locked.property_id,
                room_type=locked,
                image=stored.large,
                small=stored.small,
                width=stored.width,
                height=stored.height,
                alt_fr=alt_fr,
                alt_en=alt_en,
                sort_order=0 if last is None else last + 1,
            )
            _audit(photo, action="added", actor=actor, before={}, after={"alt_fr": alt_fr})
            if record_id is not None:
                idempotency_store(record_id=record_id, response={"photo": photo.pk})
    return photo


@transaction.atomic
def room_type_photo_update(
    *, photo: RoomTypePhoto, alt_fr: str, alt_en: str = "", move: int = 0, actor=None
) -> RoomTypePhoto:
    """Describe the photo again and/or move it `move` places (-1 earlier, +1 later)."""
    alt_fr, alt_en = _alts(alt_fr, alt_en)
    locked_type = _locked_type(photo.room_type)
    photos = list(RoomTypePhoto.objects.filter(room_type=locked_type).order_by("sort_order", "pk"))
    index = next((i for i, p in enumerate(photos) if p.pk == photo.pk), None)
    if index is None:
        raise NotFound()
    row = photos[index]
    before = {"alt_fr": row.alt_fr, "alt_en": row.alt_en, "position": index + 1}
    target = max(0, min(len(photos) - 1, index + move))
    photos.insert(target, photos.pop(index))
    for position, other in enumerate(photos):
        other.sort_order = position
    row.alt_fr, row.alt_en = alt_fr, alt_en
    RoomTypePhoto.objects.bulk_update(photos, ["sort_order", "alt_fr", "alt_en"])
    after = {"alt_fr": alt_fr, "alt_en": alt_en, "position": target + 1}
    if before != after:
        changed = [k for k in after if before[k] != after[k]]
        _audit(
            row,
            action="changed",
            actor=actor,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return row


@transaction.atomic
def room_type_photo_delete(*, photo: RoomTypePhoto, actor=None) -> None:
    """Remove the photo from the booking engine; its files go after the commit."""
    _locked_type(photo.room_type)
    deleted, _rows = RoomTypePhoto.objects.filter(pk=photo.pk).delete()
    if not deleted:
        return  # a second tap on "delete": already gone
    photo_files_forget(photo.image.name, photo.small.name)
    _audit(photo, action="deleted", actor=actor, before={"alt_fr": photo.alt_fr}, after={})
