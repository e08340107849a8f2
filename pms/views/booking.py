"""The public booking engine: /book/<property_slug>/ (no login; French and English).

search -> details (extras, guest) -> payment -> confirmation. Embeddable in an iframe
(docs/booking-engine.md). POSTs are rate limited per IP.
"""

from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.decorators import ratelimit

from core.csp import BOOKING_PROPERTY_ATTR, booking_engine_frame_policy, form_action
from core.exceptions import DomainError
from core.models import Property
from crm.services.gdpr import MARKETING_WORDING
from inventory.exceptions import SoldOut
from pms.booking_links import booking_links
from pms.models import Reservation, RoomType
from pms.services import booking
from pms.services.guest_emails import (
    guest_page_reservation,
    reservation_arrival_time_set,
)
from pms.services.online_payments import (
    online_payment_refresh,
    online_payment_start,
)
from pms.services.payment_gateway import hosted_page_origin
from pms.services.payment_providers import amount_due_online, provider_for, providers
from pms.services.police import PoliceFormInput, police_form_record
from pms.views.booking_csrf import FORM_TOKEN_FIELD, booking_form_token, booking_post_refused

MAX_STAY = 30
RATE = "30/m"


class SearchForm(forms.Form):
    arrival = forms.DateField(
        label=gettext_lazy("Arrival"), widget=forms.DateInput(attrs={"type": "date"})
    )
    departure = forms.DateField(
        label=gettext_lazy("Departure"), widget=forms.DateInput(attrs={"type": "date"})
    )
    adults = forms.IntegerField(label=gettext_lazy("Adults"), min_value=1, max_value=8, initial=2)
    children = forms.IntegerField(
        label=gettext_lazy("Children"), min_value=0, max_value=8, initial=0, required=False
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        arrival, departure = data.get("arrival"), data.get("departure")
        if arrival and departure:
            if arrival < self.today:
                raise ValidationError(_("The arrival date is in the past."))
            if departure <= arrival:
                raise ValidationError(_("The departure must be after the arrival."))
            if (departure - arrival).days > MAX_STAY:
                raise ValidationError(_("Book at most %(n)s nights online.") % {"n": MAX_STAY})
        data["children"] = data.get("children") or 0
        return data


class GuestForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    email = forms.EmailField(label=gettext_lazy("E-mail"))
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    notes = forms.CharField(
        label=gettext_lazy("Requests"), max_length=1000, required=False, widget=forms.Textarea
    )
    accept = forms.BooleanField(label=gettext_lazy("I accept the booking conditions"))
    # marketing opt-in (CPCE L34-5): never ticked in advance, its wording kept with the answer
    marketing = forms.BooleanField(label=MARKETING_WORDING, required=False)


def _property(request: HttpRequest, slug: str) -> Property:
    """The engine's property; kept on the request for its frame-ancestors (core.csp)."""
    prop = get_object_or_404(Property, slug=slug)
    setattr(request, BOOKING_PROPERTY_ATTR, prop)
    return prop


def _form_token(prop: Property) -> dict:
    """What the engine's forms carry instead of Django's CSRF token (booking_csrf)."""
    return {"token_field": FORM_TOKEN_FIELD, "form_token": booking_form_token(prop)}


def _language(request: HttpRequest) -> None:
    lang = request.GET.get("lang") or request.POST.get("lang")
    if lang in ("fr", "en"):
        translation.activate(lang)
        request.LANGUAGE_CODE = lang


def _limited(request: HttpRequest, prop: Property) -> HttpResponse:
    return render(
        request,
        "pms/booking/limited.html",
        {"property": prop},
        status=429,
    )


def _search_form(request, prop, data):
    return SearchForm(data, today=prop.business_date())


@booking_engine_frame_policy
@csrf_exempt  # the POST is checked without the cookie a framed engine lacks (booking_csrf)
@ratelimit(key="ip", rate=RATE, method="POST", block=False)
def search(request: HttpRequest, slug: str) -> HttpResponse:
    """GET/POST /book/<slug>/: dates and party -> available room types with their price."""
    prop = _property(request, slug)
    _language(request)
    if getattr(request, "limited", False):
        return _limited(request, prop)
    if (refused := booking_post_refused(request, prop)) is not None:
        return refused
    data = (
        request.POST
        if request.method == "POST"
        else (request.GET if "arrival" in request.GET else None)
    )
    today = prop.business_date()
    form = (
        _search_form(request, prop, data)
        if data is not None
        else SearchForm(
            initial={"arrival": today, "departure": today + timedelta(days=1)}, today=today
        )
    )
    offers = None
    if data is not None and form.is_valid():
        try:
            offers = booking.booking_offers(
                property=prop,
                arrival=form.cleaned_data["arrival"],
                departure=form.cleaned_data["departure"],
                adults=form.cleaned_data["adults"],
                children=form.cleaned_data["children"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
    return render(
        request,
        "pms/booking/search.html",
        {
            "property": prop,
            "form": form,
            "offers": offers,
            "lang": translation.get_language(),
            "links": booking_links(property=prop, language=translation.get_language()),
            **_form_token(prop),
        },
    )


def _extras_from(request, products) -> list:
    from datetime import time

    out = []
    for product in products:
        try:
            quantity = int(request.POST.get(f"extra_{product.pk}", "0") or 0)
        except ValueError:
            quantity = 0
        if quantity <= 0:
            continue
        slot = request.POST.get(f"slot_{product.pk}", "")
        slot_time = None
        if slot:
            try:
                slot_time = time.fromisoformat(slot)
            except ValueError:
                slot_time = None
        out.append(booking.ExtraChoice(product.pk, min(quantity, 20), slot_time))
    return out


@booking_engine_frame_policy
@csrf_exempt  # the POST is checked without the cookie a framed engine lacks (booking_csrf)
@ratelimit(key="ip", rate=RATE, method="POST", block=False)
def details(request: HttpRequest, slug: str) -> HttpResponse:
    """GET/POST /book/<slug>/details/?room_type=&arrival=&departure=&adults=&children=:
    extras and guest details; POST holds the room and goes to the payment step."""
    prop = _property(request, slug)
    _language(request)
    if getattr(request, "limited", False):
        return _limited(request, prop)
    if (refused := booking_post_refused(request, prop)) is not None:
        return refused
    source = request.POST if request.method == "POST" else request.GET
    stay = _search_form(request, prop, source)
    room_type = RoomType.objects.filter(property=prop, pk=_int(source.get("room_type"))).first()
    if not stay.is_valid() or room_type is None:
        return redirect(reverse("booking:search", kwargs={"slug": slug}))
    products = list(booking.online_extras(property=prop))
    form = GuestForm(request.POST if request.method == "POST" else None)
    error = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            reservation = booking.booking_hold(
                property=prop,
                room_type_id=room_type.pk,
                arrival=stay.cleaned_data["arrival"],
                departure=stay.cleaned_data["departure"],
                adults=stay.cleaned_data["adults"],
                children=stay.cleaned_data["children"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                notes=form.cleaned_data["notes"],
                marketing_opt_in=form.cleaned_data["marketing"],
                language=translation.get_language() or "fr",
                extras=_extras_from(request, products),
            )
            url = reverse(
                "booking:payment", kwargs={"slug": slug, "public_id": reservation.public_id}
            )
            return redirect(f"{url}?lang={translation.get_language()}")
        except SoldOut as exc:
            error = _("Sorry, this room is no longer available for these dates.")
            status = _details_status(exc)
        except DomainError as exc:
            error = exc.message
            status = _details_status(exc)
    return render(
        request,
        "pms/booking/details.html",
        {
            "property": prop,
            "stay": stay.cleaned_data,
            "room_type": room_type,
            "policy": booking.stay_policy_text(
                property=prop,
                room_type=room_type,
                arrival=stay.cleaned_data["arrival"],
                departure=stay.cleaned_data["departure"],
            ),
            "products": products,
            "form": form,
            "error": error,
            "query": source.urlencode() if request.method == "GET" else "",
            "lang": translation.get_language(),
            **_form_token(prop),
        },
        status=status,
    )


# the domain errors that mean "no longer on sale": 409, in every language (the status is
# decided on the exception's code, never on its translated message)
UNAVAILABLE_CODES = frozenset(
    {"sold_out", "closed_for_sale", "offer_exhausted", "room_not_available"}
)


def _details_status(exc: DomainError) -> int:
    """409 when what the guest chose is no longer on sale; 200 (the form again) otherwise."""
    return 409 if exc.code in UNAVAILABLE_CODES else 200


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _reservation(prop: Property, public_id) -> Reservation:
    return get_object_or_404(
        Reservation.objects.select_related("guest"),
        property=prop,
        public_id=public_id,
        channel=booking.CHANNEL,
    )


@booking_engine_frame_policy
@csrf_exempt  # the POST is checked without the cookie a framed engine lacks (booking_csrf)
@ratelimit(key="ip", rate=RATE, method="POST", block=False)
def payment(request: HttpRequest, slug: str, public_id) -> HttpResponse:
    """GET/POST /book/<slug>/pay/<public_id>/: choose how to pay; confirms the booking."""
    prop = _property(request, slug)
    _language(request)
    if getattr(request, "limited", False):
        return _limited(request, prop)
    if (refused := booking_post_refused(request, prop)) is not None:
        return refused
    reservation = _reservation(prop, public_id)
    if reservation.status == Reservation.Status.CONFIRMED:
        return redirect(reverse("booking:done", kwargs={"slug": slug, "public_id": public_id}))
    error = None
    if request.method == "POST":
        provider = provider_for(request.POST.get("provider", ""))
        if provider is not None and provider.online and provider.available():
            return _pay_online(request, prop, reservation)
        try:
            started = booking.booking_confirm(
                reservation=reservation, provider_code=request.POST.get("provider", "")
            )
            url = reverse("booking:done", kwargs={"slug": slug, "public_id": public_id})
            query = urlencode(
                {"lang": translation.get_language(), "note": _note_dump(public_id, started)}
            )
            return redirect(f"{url}?{query}")
        except booking.NoLongerAvailable as exc:
            booking.booking_abandon(reservation=reservation)
            error = exc.message
        except DomainError as exc:
            error = exc.message
    return _payment_page(request, prop, reservation, error)


def _note_salt(public_id) -> str:
    return f"pms.booking.done.{public_id}"


def _note_dump(public_id, started) -> str:
    """The provider's instructions, signed for this booking, for the confirmation page's
    address: a framed engine has no session cookie (booking_csrf), so no session holds them."""
    return signing.dumps(str(started.instructions), salt=_note_salt(public_id), compress=True)


def _note_load(public_id, value: str) -> str:
    try:
        return str(signing.loads(value, salt=_note_salt(public_id)))
    except signing.BadSignature:
        return ""


@booking_engine_frame_policy
def done(request: HttpRequest, slug: str, public_id) -> HttpResponse:
    """GET /book/<slug>/done/<public_id>/: the confirmation page."""
    prop = _property(request, slug)
    _language(request)
    reservation = _reservation(prop, public_id)
    if reservation.status != Reservation.Status.CONFIRMED:
        return redirect(reverse("booking:search", kwargs={"slug": slug}))
    return render(
        request,
        "pms/booking/done.html",
        {
            "property": prop,
            "reservation": reservation,
            "summary": booking.booking_summary(reservation=reservation),
            "instructions": _note_load(public_id, request.GET.get("note", "")),
        },
    )


def _pay_online(request: HttpRequest, prop: Property, reservation: Reservation) -> HttpResponse:
    """The guest chose the card: the provider's page, and back to `payment_return`."""
    lang = translation.get_language()
    back = reverse(
        "booking:payment_return", kwargs={"slug": prop.slug, "public_id": reservation.public_id}
    )
    try:
        url = online_payment_start(
            reservation=reservation, return_url=request.build_absolute_uri(f"{back}?lang={lang}")
        )
    except booking.NoLongerAvailable as exc:
        booking.booking_abandon(reservation=reservation)
        return _payment_page(request, prop, reservation, exc.message)
    except DomainError as exc:
        return _payment_page(request, prop, reservation, exc.message, keep=True)
    return redirect(url)


def _payment_page(request, prop, reservation, error, keep: bool = False, status: int = 200):
    response = render(
        request,
        "pms/booking/payment.html",
        {
            "property": prop,
            "reservation": reservation,
            "summary": booking.booking_summary(reservation=reservation),
            "providers": providers(),
            "deposit": amount_due_online(reservation),
            "error": error,
            "retry": keep,
            "hold_minutes": booking.HOLD_MINUTES,
            "lang": translation.get_language(),
            **_form_token(prop),
        },
        status=status,
    )
    online = provider_for("card_online")
    if online is not None and online.available() and (origin := hosted_page_origin()):
        # the card choice is answered by a redirect to the provider's page
        form_action(response, [origin])
    return response


@booking_engine_frame_policy
@ratelimit(key="ip", rate=RATE, method="GET", block=False)
def payment_return(request: HttpRequest, slug: str, public_id) -> HttpResponse:
    """GET /book/<slug>/pay/<public_id>/return/?payment_intent=…: the guest is back from the
    provider's page. The intent is read back from the provider (never trusted from the
    address); paid → the confirmation, waiting for the bank → a page that says so,
    declined → the payment step again with the reason."""
    prop = _property(request, slug)
    _language(request)
    if getattr(request, "limited", False):
        return _limited(request, prop)
    reservation = _reservation(prop, public_id)
    intent_id = request.GET.get("payment_intent", "")
    payment = reservation.online_payments.filter(intent_id=intent_id).first() if intent_id else None
    if payment is not None:
        payment = online_payment_refresh(intent_id=payment.intent_id) or payment
    reservation.refresh_from_db()
    done_url = reverse("booking:done", kwargs={"slug": slug, "public_id": public_id})
    if reservation.status == Reservation.Status.CONFIRMED:
        started = provider_for("card_online").start(reservation=reservation)
        query = urlencode(
            {"lang": translation.get_language(), "note": _note_dump(public_id, started)}
        )
        return redirect(f"{done_url}?{query}")
    if payment is not None and payment.status in ("requires_action", "processing"):
        return render(
            request,
            "pms/booking/payment_pending.html",
            {"property": prop, "reservation": reservation, "lang": translation.get_language()},
        )
    if payment is not None and payment.late:
        error = _(
            "Your payment arrived after your booking time ran out: nothing was booked and "
            "the amount is being refunded."
        )
        return _payment_page(request, prop, reservation, error)
    if reservation.status != Reservation.Status.OPTION:
        error = _("Sorry, this room is no longer available: your booking time ran out.")
        return _payment_page(request, prop, reservation, error)
    error = _("Your card was declined. Try another card or another payment method.")
    if payment is None or payment.status == "requires_payment_method":
        error = _("The payment was not completed. Choose how to pay.")
    return _payment_page(request, prop, reservation, error, keep=True)


GUEST_PAGE_FIELDS = (
    "last_name",
    "first_name",
    "birth_date",
    "birth_place",
    "nationality",
    "address",
    "phone",
    "email",
    "children_under_15",
    "signature",
)


@booking_engine_frame_policy
@csrf_exempt  # the POST is checked without the cookie a framed engine lacks (booking_csrf)
@ratelimit(key="ip", rate=RATE, method="POST", block=False)
def guest_page(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET/POST /book/<slug>/stay/<token>/: the link of the pre-arrival e-mail. The guest
    says when they arrive and, if not a French national, fills and signs the police form."""
    prop = _property(request, slug)
    _language(request)
    if getattr(request, "limited", False):
        return _limited(request, prop)
    if (refused := booking_post_refused(request, prop)) is not None:
        return refused
    try:
        reservation = guest_page_reservation(property=prop, token=token)
    except DomainError as exc:
        return render(
            request,
            "pms/booking/link_invalid.html",
            {"property": prop, "message": exc.message},
            status=404,
        )
    guest = reservation.guest
    values = {
        "last_name": guest.last_name,
        "first_name": guest.first_name,
        "nationality": guest.country,
        "phone": guest.phone,
        "email": guest.email,
        "children_under_15": "0",
    }
    error, notice, status = "", "", 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "police_form":
                values = {f: request.POST.get(f, "") for f in GUEST_PAGE_FIELDS}
                police_form_record(
                    reservation=reservation, data=PoliceFormInput(**values), guest=guest
                )
                notice = _("Thank you: your police form is signed.")
            else:
                reservation_arrival_time_set(
                    reservation=reservation, value=request.POST.get("arrival_time", "")
                )
                notice = _("Thank you: we expect you at %(time)s.") % {
                    "time": reservation.expected_arrival_time.strftime("%H:%M")
                }
        except DomainError as exc:
            error, status = exc.message, 422
    values.pop("signature", None)
    return render(
        request,
        "pms/booking/guest_page.html",
        {
            "property": prop,
            "reservation": reservation,
            "values": values,
            "error": error,
            "notice": notice,
            "signed": reservation.police_forms.exists(),
            "lang": translation.get_language(),
            **_form_token(prop),
        },
        status=status,
    )
