"""Guests API under /api/v1/properties/<property_slug>/guests: search, read, create, update,
merge, GDPR export and erasure, through the services the guest screens use (crm.services).

Guests belong to the property's organisation (shared by its hotels, as on the screens); a
merged duplicate is read (it names the profile kept) but never listed. Contact details need
`guests.contact` (front desk, manager, accountant, admin); merging, exporting and erasing
need `manage`, as on the screens."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status

from core.api import IDEMPOTENCY_PARAMETER, idempotent_response
from core.api_reads import (
    ListParams,
    PropertyReadApi,
    cursor_page,
    jsonable,
    page_of,
    queryset_version,
)
from core.api_reads import query_params as read_params
from core.exceptions import InvalidInput, NotFound
from crm.models import Guest
from crm.selectors import guests_search
from crm.services.gdpr import guest_erase, guest_export
from crm.services.guests import IDENTITY, PREFERENCES, guest_create, guest_update
from crm.services.merge import guests_merge

GUEST_EXAMPLE = {
    "public_id": "0b8f3c8e-4d1a-4a57-9a55-2f3c7e1d9b20",
    "first_name": "Léa",
    "last_name": "Martin",
    "email": "lea.martin@example.com",
    "phone": "+33612345678",
    "language": "fr",
    "country": "FR",
    "diet": "végétarienne",
    "allergies": "arachides",
    "notes": "",
    "marketing_opt_in": False,
    "merged_into": None,
    "updated_at": "2026-06-01T09:30:00Z",
}


class CrmGuestSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    language = serializers.CharField()
    country = serializers.CharField()
    diet = serializers.CharField()
    allergies = serializers.CharField()
    notes = serializers.CharField()
    marketing_opt_in = serializers.BooleanField()
    # a merged duplicate: the profile it was merged into
    merged_into = serializers.UUIDField(source="merged_into.public_id", allow_null=True)
    updated_at = serializers.DateTimeField()


CrmGuestPage = page_of(CrmGuestSerializer, "CrmGuestPage")


def _guest_payload(guest: Guest) -> dict:
    return jsonable(CrmGuestSerializer(guest).data)


class _GuestApi(PropertyReadApi):
    capability = "guests.contact"

    def guest(self, public_id) -> Guest:
        """A profile of the property's organisation (any other: 404)."""
        guest = (
            Guest.objects.filter(organization_id=self.property.organization_id, public_id=public_id)
            .select_related("merged_into")
            .first()
        )
        if guest is None:
            raise NotFound()
        return guest


class GuestListApi(_GuestApi):
    """Search the guests (every live profile when no filter is given), oldest first."""

    class FilterSerializer(ListParams):
        name = serializers.CharField(
            required=False, max_length=100, help_text="The start of the first or last name."
        )
        email = serializers.CharField(
            required=False, max_length=254, help_text="An e-mail, compared as the duplicates."
        )
        phone = serializers.CharField(
            required=False, max_length=30, help_text="A phone number, in any usual writing."
        )

    class InputSerializer(serializers.Serializer):
        last_name = serializers.CharField(max_length=100)
        first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
        email = serializers.EmailField(required=False, allow_blank=True)
        phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
        language = serializers.ChoiceField(choices=["fr", "en"], required=False, default="fr")

    @extend_schema(
        operation_id="crm_guest_list",
        parameters=[FilterSerializer],
        responses={200: CrmGuestPage},
        examples=[
            OpenApiExample(
                "A page", value={"results": [GUEST_EXAMPLE], "next": None}, response_only=True
            )
        ],
    )
    def get(self, request, property_slug: str):
        params = read_params(request, self.FilterSerializer)
        guests = guests_search(
            organization_id=self.property.organization_id,
            name=params.get("name", ""),
            email=params.get("email", ""),
            phone=params.get("phone", ""),
        )
        return self.read(
            request,
            version=queryset_version(guests),
            build=lambda: cursor_page(
                guests.select_related("merged_into"),
                params=params,
                serialize=lambda rows: CrmGuestSerializer(rows, many=True).data,
            ),
        )

    @extend_schema(
        operation_id="crm_guest_create",
        request=InputSerializer,
        responses={201: CrmGuestSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "A new guest",
                value={"last_name": "Martin", "first_name": "Léa", "email": "lea@example.com"},
                request_only=True,
            ),
            OpenApiExample("Created", value=GUEST_EXAMPLE, response_only=True, status_codes=[201]),
        ],
    )
    def post(self, request, property_slug: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def compute():
            guest = guest_create(
                organization=self.property.organization, actor=request.user, **data.validated_data
            )
            return status.HTTP_201_CREATED, _guest_payload(guest)

        return idempotent_response(request, scope="crm.guest.create", compute=compute)


class GuestDetailApi(_GuestApi):
    """One guest; PATCH changes the fields given (identity and preferences)."""

    class InputSerializer(serializers.Serializer):
        last_name = serializers.CharField(max_length=100, required=False)
        first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
        email = serializers.EmailField(required=False, allow_blank=True)
        phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
        country = serializers.CharField(max_length=2, required=False, allow_blank=True)
        diet = serializers.CharField(max_length=100, required=False, allow_blank=True)
        allergies = serializers.CharField(max_length=300, required=False, allow_blank=True)
        notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)

    @extend_schema(
        operation_id="crm_guest_detail",
        responses={200: CrmGuestSerializer},
        examples=[OpenApiExample("A guest", value=GUEST_EXAMPLE, response_only=True)],
    )
    def get(self, request, property_slug: str, public_id):
        guest = self.guest(public_id)
        return self.read(request, version=[guest.updated_at], build=lambda: _guest_payload(guest))

    @extend_schema(
        operation_id="crm_guest_update",
        request=InputSerializer,
        responses={200: CrmGuestSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "New phone and allergies",
                value={"phone": "+33612345678", "allergies": "arachides"},
                request_only=True,
            ),
            OpenApiExample("Updated", value=GUEST_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request, property_slug: str, public_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        guest = self.guest(public_id)
        if guest.merged_into_id:
            raise InvalidInput(_("This profile was merged into another one: change that one."))

        def compute():
            changes = {k: v for k, v in data.validated_data.items() if k in IDENTITY + PREFERENCES}
            updated = guest_update(guest=guest, changes=changes, actor=request.user)
            return status.HTTP_200_OK, _guest_payload(updated)

        return idempotent_response(request, scope=f"crm.guest.update:{guest.pk}", compute=compute)


class GuestMergeApi(_GuestApi):
    """Fold a duplicate profile into this one (its stays, folios, points and blank identity
    fields move here; the duplicate stays, pointing to this one). Capability `manage`."""

    capability = "manage"

    class InputSerializer(serializers.Serializer):
        duplicate = serializers.UUIDField(help_text="The public id of the profile to fold in.")

    @extend_schema(
        operation_id="crm_guest_merge",
        request=InputSerializer,
        responses={200: CrmGuestSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "Merge a duplicate",
                value={"duplicate": "5c1e9a0e-2b7d-4f38-8a61-0d4b9e2f7c13"},
                request_only=True,
            ),
            OpenApiExample("The profile kept", value=GUEST_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request, property_slug: str, public_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        keep = self.guest(public_id)
        duplicate = self.guest(data.validated_data["duplicate"])

        def compute():
            kept = guests_merge(keep=keep, duplicate=duplicate, actor=request.user)
            return status.HTTP_200_OK, _guest_payload(kept)

        return idempotent_response(request, scope="crm.guest.merge", compute=compute)


class GuestExportApi(_GuestApi):
    """The guest's personal data (GDPR art. 15 and 20), as the screen's export: the profile,
    consents, loyalty, gift cards and what the other apps hold (stays, tickets…). Audited.
    Capability `manage`."""

    capability = "manage"

    @extend_schema(
        operation_id="crm_guest_export",
        responses={200: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "An export",
                value={"profile": {"last_name": "Martin"}, "consents": [], "loyalty": []},
                response_only=True,
            )
        ],
    )
    def get(self, request, property_slug: str, public_id):
        guest = self.guest(public_id)
        return self.read_body(request, guest_export(guest=guest, actor=request.user))


class GuestEraseApi(_GuestApi):
    """Anonymise the guest and the profiles merged into it (fiscal documents keep their
    names, as the law requires). 409 `erasure_refused` when something still needs the
    profile (a stay in house, a gift card with a balance…). Capability `manage`."""

    capability = "manage"

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
        confirm = serializers.ChoiceField(
            choices=["ERASE"], help_text="ERASE: the erasure cannot be undone."
        )

    @extend_schema(
        operation_id="crm_guest_erase",
        request=InputSerializer,
        responses={200: CrmGuestSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "Erase on request",
                value={"confirm": "ERASE", "reason": "Demande du client"},
                request_only=True,
            ),
            OpenApiExample(
                "Erased",
                value={**GUEST_EXAMPLE, "first_name": "", "last_name": "—", "email": ""},
                response_only=True,
            ),
        ],
    )
    def post(self, request, property_slug: str, public_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        guest = self.guest(public_id)

        def compute():
            erased = guest_erase(
                guest=guest, actor=request.user, reason=data.validated_data.get("reason", "")
            )
            return status.HTTP_200_OK, _guest_payload(erased)

        return idempotent_response(request, scope=f"crm.guest.erase:{guest.pk}", compute=compute)
