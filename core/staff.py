"""The manager's staff services (PLT-1, POS-1): invite a person by e-mail, give them one role
per property, the outlets where they sell and their own discount limit, deactivate them
(every session and API token revoked at once) and bring them back.

Every write is keyword-only, in one transaction, audited with before → after."""

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from core.api_auth import api_auth_forget_users
from core.audit import audit_log
from core.exceptions import InvalidInput, NotFound, PermissionDenied
from core.models import ApiToken, Membership, Property, Role, StaffProfile
from core.outbox import outbox_enqueue
from core.roles import CAPABILITIES

INVITE_TASK = "core.tasks.staff_invite_email_task"


def _snapshot(membership: Membership) -> dict:
    return {
        "role": membership.role,
        "is_active": membership.is_active,
        "outlet_ids": list(membership.outlet_ids or []),
        "discount_limit": membership.discount_limit,
    }


def _assignable(actor_membership: Membership | None, role: str) -> None:
    """A manager gives any role but the platform administrator's."""
    if role not in Role.values:
        raise InvalidInput(_("Unknown role."), extra={"field": "role"})
    if role == Role.ADMIN and (actor_membership is None or actor_membership.role != Role.ADMIN):
        raise PermissionDenied(_("Only an administrator can make someone an administrator."))


def _outlets(outlet_ids, allowed_outlet_ids: set[int]) -> list[int]:
    ids = sorted({int(pk) for pk in outlet_ids})
    if not set(ids) <= allowed_outlet_ids:
        raise NotFound(_("Unknown outlet."))
    return ids


def _discount(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 100:
        raise InvalidInput(
            _("A discount limit is between 0 and 100 %."), extra={"field": "discount_limit"}
        )
    return value


@transaction.atomic
def staff_invite(
    *,
    property: Property,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    actor,
    actor_membership: Membership | None,
    set_password_base: str,
    outlet_ids=(),
    allowed_outlet_ids: set[int] = frozenset(),
    language: str = "fr",
) -> Membership:
    """Give a person a role at `property`; a new person gets an e-mail with a link to choose
    their password (Django's token generator: the link dies once the password is set).

    `set_password_base` is the absolute URL the link starts with (…/manage/staff/welcome/);
    the task adds the user's id and token. Raises InvalidInput: a bad e-mail, someone who
    already works here, an unknown role."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_("Enter a valid e-mail address."), extra={"field": "email"})
    _assignable(actor_membership, role)
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    created = user is None
    if created:
        username = email[:150]
        if User.objects.filter(username__iexact=username).exists():
            raise InvalidInput(
                _("This e-mail is already a sign-in name."), extra={"field": "email"}
            )
        user = User(
            username=username,
            email=email,
            first_name=(first_name or "").strip()[:150],
            last_name=(last_name or "").strip()[:150],
        )
        user.set_unusable_password()
        user.save()
        StaffProfile.objects.get_or_create(user=user, defaults={"language": language})
    elif Membership.objects.filter(user=user, property=property).exists():
        raise InvalidInput(
            _("%(email)s already works here: change their role in the list.") % {"email": email},
            extra={"field": "email"},
        )
    membership = Membership.objects.create(
        user=user,
        property=property,
        role=role,
        outlet_ids=_outlets(outlet_ids, allowed_outlet_ids),
    )
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    audit_log(
        action="core.staff.invited",
        property=property,
        actor=actor,
        target=membership,
        data={"model": "core.membership", "before": {}, "after": _snapshot(membership)},
    )
    if created or not user.has_usable_password():
        outbox_enqueue(
            task=INVITE_TASK,
            kwargs={
                "user_id": user.pk,
                "property_id": property.pk,
                "base_url": set_password_base,
                "language": language,
            },
            property=property,
        )
    return membership


def staff_invite_email_send(*, user_id: int, property_id: int, base_url: str, language: str):
    """The invitation e-mail (core.tasks runs it after commit). The token is made here, not
    stored in the outbox row: the database never holds a usable link."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils import translation

    user = get_user_model().objects.get(pk=user_id)
    prop = Property.objects.get(pk=property_id)
    if user.has_usable_password() or not user.is_active:
        return  # the password was chosen meanwhile, or the person was deactivated
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = f"{base_url.rstrip('/')}/{uid}/{default_token_generator.make_token(user)}/"
    with translation.override(language):
        send_mail(
            subject=_("You are invited to Auberge at %(property)s") % {"property": prop.name},
            message=_(
                "Hello %(name)s,\n\nYou now work at %(property)s. Choose your password here:\n"
                "%(link)s\n\nYour sign-in name is %(username)s."
            )
            % {
                "name": user.get_full_name() or user.username,
                "property": prop.name,
                "link": link,
                "username": user.username,
            },
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )


@transaction.atomic
def staff_update(
    *,
    membership: Membership,
    role: str,
    outlet_ids,
    discount_limit: int | None,
    actor,
    actor_membership: Membership | None,
    allowed_outlet_ids: set[int],
) -> Membership:
    """One role per property, the outlets where the person sells (empty: all), their own
    discount limit (empty: the role's). A manager cannot take away their own management."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    _assignable(actor_membership, role)
    if locked.role == Role.ADMIN and (
        actor_membership is None or actor_membership.role != Role.ADMIN
    ):
        raise PermissionDenied(_("Only an administrator can change an administrator."))
    if locked.user_id == getattr(actor, "pk", None) and role not in CAPABILITIES["manage.staff"]:
        raise InvalidInput(
            _("You cannot take away your own right to manage the staff."), extra={"field": "role"}
        )
    before = _snapshot(locked)
    locked.role = role
    locked.outlet_ids = _outlets(outlet_ids, allowed_outlet_ids)
    locked.discount_limit = _discount(discount_limit)
    locked.save()
    after = _snapshot(locked)
    if before != after:
        audit_log(
            action="core.staff.changed",
            property=locked.property,
            actor=actor,
            target=locked,
            data={"model": "core.membership", "before": before, "after": after},
        )
    return locked


def _sessions_end(user_id: int) -> int:
    """Delete every session of the user (the cached_db engine's cache entries go with each
    Session row's delete through the engine, so the next request is signed out)."""
    from importlib import import_module

    from django.conf import settings

    engine = import_module(settings.SESSION_ENGINE)
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) == str(user_id):
            engine.SessionStore(session_key=session.session_key).delete()
            ended += 1
    return ended


@transaction.atomic
def staff_deactivate(*, membership: Membership, actor) -> Membership:
    """The person stops working here: the membership is off, and when it was their last
    one the account is off too; their API tokens at this property (and all of them with the
    account) are revoked and their sessions ended — the next request fails."""
    locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if locked.user_id == getattr(actor, "pk", None):
        raise InvalidInput(_("You cannot deactivate yourself."))
    before = _snapshot(locked)
    locked.is_active = False
    locked.save(update_fields=["is_active", "updated_at"])
    user = locked.user
    last = not Membership.objects.filter(user=user, is_active=True).exists()
    tokens = ApiToken.objects.filter(created_by=user, revoked_at__isnull=True)
    if not last:
        tokens = tokens.filter(property=locked.property)
    revoked = [t for t in tokens]
    for token in revoked:  # one by one: each save drops its cached sign-in (core.api_tokens)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    if last:
        user.is_active = False
        user.save(update_fields=["is_active"])
        Token.objects.filter(user=user).delete()  # the integrations' DRF keys
        sessions = _sessions_end(user.pk)
    else:
        sessions = 0
    api_auth_forget_users([user.pk])
    audit_log(
        action="core.staff.deactivated",
        property=locked.property,
        actor=actor,
        target=locked,
        data={
            "model": "core.membership",
            "before": before,
            "after": _snapshot(locked),
            "account_closed": last,
            "api_tokens_revoked": len(revoked),
            "sessions_ended": sessions,
        },
    )
    return locked


@transaction.atomic
def staff_reactivate(*, membership: Membership, actor) -> Membership:
    """Bring a person back (their former tokens stay revoked: the manager makes new ones)."""
    locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    before = _snapshot(locked)
    locked.is_active = True
    locked.save(update_fields=["is_active", "updated_at"])
    if not locked.user.is_active:
        locked.user.is_active = True
        locked.user.save(update_fields=["is_active"])
    audit_log(
        action="core.staff.reactivated",
        property=locked.property,
        actor=actor,
        target=locked,
        data={"model": "core.membership", "before": before, "after": _snapshot(locked)},
    )
    return locked


def outlet_allowed(membership: Membership | None, outlet_id: int | None) -> bool:
    """POS-1: a person sells at the outlets of their membership (none listed: all of them)."""
    if membership is None:
        return False
    if outlet_id is None or not membership.outlet_ids:
        return True
    return outlet_id in membership.outlet_ids


def remember_property(*, user, property_id: int) -> None:
    """Where the person lands next time they sign in (the last property they worked at)."""
    StaffProfile.objects.update_or_create(user=user, defaults={"last_property_id": property_id})
