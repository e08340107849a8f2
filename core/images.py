"""Photos uploaded by a manager (room types for the booking engine, dishes for the QR menu).

A file is trusted for nothing: its size is checked first, then Pillow decodes it (the name's
extension and the browser's content type say nothing); only JPEG, PNG and WebP are taken.
The picture is turned upright (EXIF orientation), re-encoded as WebP without its metadata
(no GPS position of the manager's phone on the public site) and saved twice through the
"photos" storage (under MEDIA_ROOT, public): a large copy and a small one for lists. The
names are random, under the property's folder, so one photo's address tells nothing of
another's.
"""

import io
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
LARGE_SIDE = 1600
SMALL_SIDE = 480
QUALITY = 82


@dataclass(frozen=True)
class StoredPhoto:
    """The two copies of a photo as saved in the storage, and the large copy's size."""

    large: str
    small: str
    width: int
    height: int


def photo_storage():
    """Where photos live: public, unlike the default storage (accounting exports)."""
    return storages["photos"]


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, extra={"field": "photo"})


def _decoded(upload):
    """The upload as a Pillow image, or a clear refusal: not a picture, not one we take."""
    from PIL import Image, UnidentifiedImageError

    max_bytes = settings.PHOTO_MAX_BYTES
    if upload is None or not getattr(upload, "size", 0):
        raise _refused(_("Choose a photo to send."))
    if upload.size > max_bytes:
        raise _refused(
            _("This photo is too large (at most %(size)s).") % {"size": filesizeformat(max_bytes)}
        )
    data = upload.read()
    try:
        with warnings.catch_warnings():
            # a picture of more pixels than Pillow's limit is an error, not a warning
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refused(_("This file is not a JPEG, PNG or WebP photo."))
    except (OSError, SyntaxError, ValueError):
        raise _refused(_("This photo is damaged and cannot be read."))
    if fmt not in ACCEPTED_FORMATS:
        raise _refused(_("This file is not a JPEG, PNG or WebP photo."))
    return image


def _encoded(image, side: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((side, side))
    out = io.BytesIO()
    # no exif=, no icc_profile= : the copy carries none of the original's metadata
    copy.save(out, format="WEBP", quality=QUALITY, method=4)
    return out.getvalue()


def photo_store(upload, *, folder: str) -> StoredPhoto:
    """Check, clean and save an uploaded photo under `folder`; InvalidInput when refused."""
    from PIL import ImageOps

    image = ImageOps.exif_transpose(_decoded(upload))
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    name = uuid.uuid4().hex
    large_bytes = _encoded(image, LARGE_SIDE)
    large = photo_storage().save(f"{folder}/{name}.webp", ContentFile(large_bytes))
    small = photo_storage().save(
        f"{folder}/{name}-small.webp", ContentFile(_encoded(image, SMALL_SIDE))
    )
    width, height = image.size
    scale = min(1.0, LARGE_SIDE / max(width, height))
    return StoredPhoto(
        large=large, small=small, width=round(width * scale), height=round(height * scale)
    )


def _files_delete(names: tuple[str, ...]) -> None:
    for name in names:
        if name:
            photo_storage().delete(name)


@contextmanager
def photo_stored(upload, *, folder: str) -> Iterator[StoredPhoto]:
    """`photo_store`, and the files removed again if the caller's transaction fails: a refused
    or rolled-back change leaves no file behind. Enter it outside the transaction."""
    stored = photo_store(upload, folder=folder)
    try:
        yield stored
    except BaseException:
        _files_delete((stored.large, stored.small))
        raise


def photo_files_forget(*names: str) -> None:
    """Remove stored copies once the transaction that dropped their row commits."""
    transaction.on_commit(partial(_files_delete, tuple(str(n) for n in names if n)))
