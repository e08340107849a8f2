"""Tenancy: every view and API endpoint reads through these helpers, so a staff member of
property A can never reach a row of property B, whatever id they put in a URL."""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django_htmx.http import HttpResponseClientRedirect

from core.cache_tokens import current_token, drop_token, versioned_get
from core.models import Membership, Property
from core.roles import CAPABILITIES, TERMINAL_CAPABILITIES_POS, role_has
from core.terminal_sessions import password_required, terminal_allows

SESSION_KEY = "active_property_id"


def memberships_for(user) -> QuerySet[Membership]:
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("property", "property__organization")
        .order_by("property__name")
    )


def membership_for(user, property_id: int) -> Membership | None:
    return memberships_for(user).filter(property_id=property_id).first()


def staff_token_key(user_id: int) -> str:
    """The key of the user's token: deleting it drops their cached user row and memberships."""
    return f"staff-memberships-version:{user_id}"


def staff_token(user_id: int) -> str:
    """The user's current token (their cached user row and memberships live under it)."""
    return current_token(staff_token_key(user_id))


def _staff_memberships(user) -> list[Membership]:
    """The user's active memberships with property and organisation, read on every staff
    request: kept in the shared cache for API_AUTH_CACHE_SECONDS under a per-user token that
    the API sign-in cache's signals drop (core.api_auth: membership, user, property or
    organisation saved or deleted). The token is read before the rows: a request that read
    them during a change stores them under a token that is already gone, so a revoked role
    never comes back."""
    key = f"staff-memberships:{user.pk}:{staff_token(user.pk)}"
    memberships = versioned_get(key)
    if memberships is None:
        memberships = list(memberships_for(user))
        cache.set(key, memberships, timeout=settings.API_AUTH_CACHE_SECONDS)
    return memberships


def approvers_for(property: Property) -> QuerySet[Membership]:
    """The active staff of `property` who may approve (pos.approve: a void after send, a
    discount above the limit, a refund), read from the database: what an approval checks."""
    return (
        Membership.objects.filter(
            property=property,
            is_active=True,
            user__is_active=True,
            role__in=CAPABILITIES["pos.approve"],
        )
        .select_related("user")
        .order_by("user__last_name", "user__username")
    )


def property_staff_token_key(property_id: int) -> str:
    """The key of a property's staff token (its cached approvers list lives under it)."""
    return f"property-staff-version:{property_id}"


class Approver(NamedTuple):
    user_id: int
    name: str


def approvers_listed(property: Property) -> list[Approver]:
    """`approvers_for` as the POS screens list it beside every void and discount form (each
    tap on a tablet redraws them): ids and names only, cached under the property's staff
    token, which `approvers_forget` drops (core.api_auth's signals: a membership of the
    property, or one of its users, changed). Only the list shown is cached; an approval is
    checked against the database."""
    key = f"staff-approvers:{property.pk}:{current_token(property_staff_token_key(property.pk))}"
    approvers = versioned_get(key)
    if approvers is None:
        approvers = [
            Approver(m.user_id, m.user.get_full_name() or m.user.get_username())
            for m in approvers_for(property)
        ]
        cache.set(key, approvers, timeout=settings.API_AUTH_CACHE_SECONDS)
    return approvers


def approvers_forget(*, user_ids: Iterable[int] = (), property_ids: Iterable[int] = ()) -> None:
    """Drop the approvers lists of `property_ids` and of every property where these users
    work (one query), now and after commit."""
    properties = {pk for pk in property_ids if pk is not None}
    if ids := [pk for pk in user_ids if pk is not None]:
        properties |= set(
            Membership.objects.filter(user_id__in=ids).values_list("property_id", flat=True)
        )
    for pk in properties:
        drop_token(property_staff_token_key(pk))


def resolve_active_membership(request: HttpRequest) -> Membership | None:
    """The membership for the property chosen in the session, or the first one the user has."""
    memberships = _staff_memberships(request.user)
    # the page's property switcher lists the same rows: read them once per request
    request.memberships = memberships
    if not memberships:
        return None
    wanted = request.session.get(SESSION_KEY)
    if wanted is None and len(memberships) > 1:
        # a new sign-in: the property the person last switched to (core.staff)
        from core.models import StaffProfile

        wanted = (
            StaffProfile.objects.filter(user=request.user)
            .values_list("last_property_id", flat=True)
            .first()
        )
    for membership in memberships:
        if membership.property_id == wanted:
            if request.session.get(SESSION_KEY) != wanted:
                request.session[SESSION_KEY] = wanted
            return membership
    request.session[SESSION_KEY] = memberships[0].property_id
    return memberships[0]


def scope(queryset: QuerySet, request: HttpRequest, field: str = "property") -> QuerySet:
    """Restrict any queryset to the active property of the request (the one helper for views)."""
    prop = getattr(request, "property", None)
    if prop is None:
        return queryset.none()
    return queryset.filter(**{field: prop})


def get_scoped_or_404(queryset: QuerySet, request: HttpRequest, field: str = "property", **kw):
    return get_object_or_404(scope(queryset, request, field), **kw)


def capability_required(capability: str) -> Callable:
    """Decorator for views: signed in, working at the active property, with the capability."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                login = f"/login/?next={request.get_full_path()}"
                if getattr(request, "htmx", False):
                    # a tap after the session expired: the whole sign-in page, not a
                    # sign-in form swapped into a part of the screen
                    return HttpResponseClientRedirect(login)
                return redirect(login)
            membership = getattr(request, "membership", None)
            if membership is None or not role_has(membership.role, capability):
                raise PermissionDenied
            if not terminal_allows(request, capability):
                # a PIN session: this screen needs the password (not the terminal's)
                return password_required(request)
            if capability in TERMINAL_CAPABILITIES_POS and not _outlet_allowed(request, membership):
                raise PermissionDenied  # POS-1: not this person's outlet
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _outlet_allowed(request: HttpRequest, membership: Membership) -> bool:
    """Whether the outlet of the terminal this browser is bound to (at the request's
    property) is one where the person may sell; a person without listed outlets sells at
    every one (core.staff.outlet_allowed)."""
    if not membership.outlet_ids:
        return True
    from core.outlets import binding_outlet_id
    from core.terminals import terminal_binding

    binding = terminal_binding(request)
    if not binding or binding.get("property_id") != membership.property_id:
        return True
    outlet_id = binding_outlet_id(binding)
    return outlet_id is None or outlet_id in membership.outlet_ids


def property_for_user_or_none(user, property_id: int) -> Property | None:
    membership = membership_for(user, property_id)
    return membership.property if membership else None
