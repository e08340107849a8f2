"""The administrators' second factor (django-otp): a TOTP app enrolled with a QR code, and
single-use backup codes. The admin asks for it after the password (core.terminal_sessions
sends an administrator who has not passed it here)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import devices_for_user, match_token, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.services import two_factor_enrol

BACKUP_CODES = 10


def _next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return "/admin/"
    return next_url


def qr_svg(data: str) -> str:
    """A QR code as inline SVG (qrcode, already a dependency of django-otp): no image file,
    no inline style, so the page keeps its Content-Security-Policy."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code, type the code it shows; the backup
    codes are shown once. Someone who already has a device proves it first (the password
    alone never replaces a second factor)."""
    if user_has_device(request.user, confirmed=True) and not request.user.is_verified():
        return redirect(f"/account/two-factor/?next={_next(request)}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=request.user, name=_("Authenticator app"), confirmed=False
        )
    error = None
    if request.method == "POST":
        token = request.POST.get("token", "").strip().replace(" ", "")
        allowed, _why = device.verify_is_allowed()
        if not allowed:
            error = _throttled()
        elif token.isdigit() and device.verify_token(token):
            codes = two_factor_enrol(user=request.user, device=device, backup_codes=BACKUP_CODES)
            otp_login(request, device)
            return render(
                request,
                "core/two_factor_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        else:
            error = _("This code is not right. Type the 6 digits the app shows now.")
    return render(
        request,
        "core/two_factor_setup.html",
        {
            # our own SVG of our own otpauth URL: nothing typed by anyone is in it
            "qr": mark_safe(qr_svg(device.config_url)),  # noqa: S308
            "secret": _base32(device),
            "error": error,
            "next": _next(request),
        },
        status=422 if error else 200,
    )


def _throttled() -> str:
    return _("Too many wrong codes: wait a few seconds, then type the code again.")


def _base32(device: TOTPDevice) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode()


@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step after the password: a code of the app, or a backup code."""
    if not user_has_device(request.user, confirmed=True):
        return redirect(f"/account/two-factor/setup/?next={_next(request)}")
    error = None
    if request.method == "POST":
        token = request.POST.get("token", "").strip().replace(" ", "")
        # django-otp waits longer after each wrong code (per device): say so, do not match
        if any(not d.verify_is_allowed()[0] for d in devices_for_user(request.user)):
            error = _throttled()
        elif (device := match_token(request.user, token) if token else None) is not None:
            otp_login(request, device)
            return redirect(_next(request))
        else:
            error = _("This code is not right. Type the code your app shows, or a backup code.")
    return render(
        request,
        "core/two_factor_verify.html",
        {"error": error, "next": _next(request)},
        status=403 if error else 200,
    )
