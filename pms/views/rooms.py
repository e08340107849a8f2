"""Room types and rooms in the back office (PMS-1): list, create, edit, deactivate; a room
type's photos for the booking engine. Thin: parse, call pms.services.room_types and
pms.services.room_type_photos."""

from decimal import Decimal
from uuid import uuid4

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError, InvalidInput
from core.scoping import capability_required
from inventory.services.rates import parse_amount
from pms.models import Room, RoomType, RoomTypePhoto
from pms.services.room_type_photos import (
    MAX_PHOTOS,
    room_type_photo_add,
    room_type_photo_delete,
    room_type_photo_update,
)
from pms.services.room_types import room_type_create, room_type_update, room_update
from pms.services.rooms import room_create, room_set_active


def _int(raw, field: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(_("Enter a whole number."), extra={"field": field})


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def rooms(request: HttpRequest) -> HttpResponse:
    """Every room type with its rooms; a new room type or a new room."""
    prop = request.property
    error = ""
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("action") == "type":
                price = parse_amount(post.get("price"), field="price")
                room_type_create(
                    property=prop,
                    code=post.get("code", ""),
                    name_fr=post.get("name_fr", ""),
                    name_en=post.get("name_en", ""),
                    base_occupancy=_int(post.get("base_occupancy"), "base_occupancy"),
                    max_occupancy=_int(post.get("max_occupancy"), "max_occupancy"),
                    price=price if price is not None else Decimal("-1"),
                    actor=request.user,
                )
                messages.success(request, _("Room type created."))
            else:
                room_type = get_object_or_404(
                    RoomType, property=prop, pk=_int(post.get("room_type"), "room_type")
                )
                room_create(
                    room_type=room_type,
                    number=post.get("number", ""),
                    floor=_int(post.get("floor") or 0, "floor"),
                    features=post.get("features", "")[:200],
                    actor=request.user,
                )
                messages.success(request, _("Room created."))
        except DomainError as exc:
            error = str(exc.message)
        else:
            return redirect("rooms:list")
    types = (
        RoomType.objects.filter(property=prop)
        .select_related("product")
        .prefetch_related("rooms")
        .order_by("sort_order", "code")
    )
    return render(
        request,
        "pms/rooms/list.html",
        {"types": types, "error": error, "form": request.POST},
        status=422 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def room_type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    room_type = get_object_or_404(
        RoomType.objects.select_related("product"), property=request.property, pk=pk
    )
    error = ""
    if request.method == "POST":
        post = request.POST
        try:
            room_type_update(
                room_type=room_type,
                actor=request.user,
                is_active=post.get("is_active") == "on",
                name_fr=post.get("name_fr", ""),
                name_en=post.get("name_en", ""),
                base_occupancy=_int(post.get("base_occupancy"), "base_occupancy"),
                max_occupancy=_int(post.get("max_occupancy"), "max_occupancy"),
                sort_order=_int(post.get("sort_order") or 0, "sort_order"),
            )
        except DomainError as exc:
            error = str(exc.message)
            room_type.refresh_from_db()
        else:
            messages.success(request, _("Saved."))
            return redirect("rooms:list")
    return _type_page(request, room_type, error=error)


def _type_page(request, room_type: RoomType, *, error: str = "", photo_error: str = ""):
    """The room type's form and its photos (an error of either answers 422)."""
    return render(
        request,
        "pms/rooms/type_form.html",
        {
            "room_type": room_type,
            "photos": list(room_type.photos.order_by("sort_order", "pk")),
            "max_photos": MAX_PHOTOS,
            "error": error,
            "photo_error": photo_error,
            "photo_key": uuid4().hex,  # one photo per form shown (a double tap adds it once)
            "form": request.POST if photo_error else {},
        },
        status=422 if error or photo_error else 200,
    )


@require_POST
@capability_required("manage")
def room_type_photo_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a photo (multipart: `photo`, `alt_fr`, `alt_en`)."""
    room_type = get_object_or_404(
        RoomType.objects.select_related("product"), property=request.property, pk=pk
    )
    try:
        room_type_photo_add(
            room_type=room_type,
            upload=request.FILES.get("photo"),
            alt_fr=request.POST.get("alt_fr", ""),
            alt_en=request.POST.get("alt_en", ""),
            actor=request.user,
            key=request.POST.get("key", "")[:64],
        )
    except DomainError as exc:
        return _type_page(request, room_type, photo_error=str(exc.message))
    messages.success(request, _("Photo added."))
    return redirect("rooms:type_edit", pk=room_type.pk)


@require_POST
@capability_required("manage")
def room_type_photo_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Describe, move (`action` up/down) or delete a photo."""
    photo = get_object_or_404(
        RoomTypePhoto.objects.select_related("room_type__product", "room_type__property"),
        property=request.property,
        pk=pk,
    )
    action = request.POST.get("action", "save")
    try:
        if action == "delete":
            room_type_photo_delete(photo=photo, actor=request.user)
            messages.success(request, _("Photo deleted."))
        else:
            room_type_photo_update(
                photo=photo,
                alt_fr=request.POST.get("alt_fr", ""),
                alt_en=request.POST.get("alt_en", ""),
                move={"up": -1, "down": 1}.get(action, 0),
                actor=request.user,
            )
            messages.success(request, _("Saved."))
    except DomainError as exc:
        return _type_page(request, photo.room_type, photo_error=str(exc.message))
    return redirect("rooms:type_edit", pk=photo.room_type_id)


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def room_edit(request: HttpRequest, pk: int) -> HttpResponse:
    room = get_object_or_404(
        Room.objects.select_related("room_type"), property=request.property, pk=pk
    )
    types = RoomType.objects.filter(property=request.property).order_by("sort_order", "code")
    error = ""
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("action") in ("deactivate", "activate"):
                room_set_active(
                    room=room, is_active=post.get("action") == "activate", actor=request.user
                )
            else:
                room_update(
                    room=room,
                    number=post.get("number", ""),
                    floor=_int(post.get("floor") or 0, "floor"),
                    features=post.get("features", ""),
                    room_type=get_object_or_404(
                        RoomType,
                        property=request.property,
                        pk=_int(post.get("room_type"), "room_type"),
                    ),
                    actor=request.user,
                )
        except DomainError as exc:
            error = str(exc.message)
            room.refresh_from_db()
        else:
            messages.success(request, _("Saved."))
            return redirect("rooms:list")
    return render(
        request,
        "pms/rooms/room_form.html",
        {"room": room, "types": types, "error": error},
        status=422 if error else 200,
    )
