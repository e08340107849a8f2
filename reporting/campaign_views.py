"""The manager's segments and campaigns (CRM-2, CRM-3): create a segment with its live count,
create a campaign, preview it, send or arm it, read its report. Scoped to the active
property: another property's segment or campaign is a 404. Here, in reporting, because the
count and the report read sales and stays; the writes are crm's services."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from core.exceptions import DomainError, InvalidInput
from core.scoping import capability_required, get_scoped_or_404
from crm.models import Campaign, Company, Guest, Segment
from crm.segments import segment_rules_clean
from crm.services.campaigns import campaign_render, campaign_save, segment_save
from inventory.models import RevenueCategory
from pos.models import Outlet
from reporting.campaigns import campaign_report, campaign_send_now
from reporting.segments import segment_count, segment_guests

CATEGORIES = [
    c
    for c in RevenueCategory.choices
    if c[0] not in (RevenueCategory.VOUCHER, RevenueCategory.TOURIST_TAX)
]


# the screen offers several rules of a kind (e.g. spent more than 50 € at the bar AND more
# than 100 € at the spa; stayed last summer AND this summer): their fields carry a suffix
SPENT_ROWS = ("", "_2", "_3")
STAYED_ROWS = ("", "_2")
SPENT_FIELDS = ("min", "category", "outlet", "from", "to", "during_stay")


def rules_from_post(post) -> list[dict]:
    """The form's rows as rules: a row counts when its main field is filled."""
    rules: list[dict] = []
    for s in SPENT_ROWS:
        if post.get(f"spent_min{s}", "").strip():
            rules.append(
                {
                    "type": "spent",
                    "min": post.get(f"spent_min{s}", "").strip(),
                    "category": post.get(f"spent_category{s}", ""),
                    "outlet": post.get(f"spent_outlet{s}", ""),
                    "from": post.get(f"spent_from{s}", ""),
                    "to": post.get(f"spent_to{s}", ""),
                    "during_last_stay": post.get(f"spent_during_stay{s}") == "on",
                }
            )
    if post.get("visits_min", "").strip():
        rules.append({"type": "visits", "min": post.get("visits_min", "").strip()})
    for s in STAYED_ROWS:
        if post.get(f"stayed_from{s}") or post.get(f"stayed_to{s}"):
            rules.append(
                {
                    "type": "stayed",
                    "from": post.get(f"stayed_from{s}"),
                    "to": post.get(f"stayed_to{s}"),
                }
            )
    if post.get("last_stay_before"):
        rules.append({"type": "last_stay_before", "date": post.get("last_stay_before")})
    if post.get("language"):
        rules.append({"type": "language", "value": post.get("language")})
    if post.get("company"):
        rules.append({"type": "company", "value": post.get("company")})
    if post.get("consent") == "on":
        rules.append({"type": "consent"})
    return rules


def _segment_form_context(request: HttpRequest, values) -> dict:
    prop = request.property
    return {
        "values": values,
        # each rule row with its suffix and what was typed in it (a refused form keeps it)
        "spent_rows": [
            {"suffix": s, "n": i + 1, **{f: values.get(f"spent_{f}{s}", "") for f in SPENT_FIELDS}}
            for i, s in enumerate(SPENT_ROWS)
        ],
        "stayed_rows": [
            {
                "suffix": s,
                "n": i + 1,
                "from": values.get(f"stayed_from{s}", ""),
                "to": values.get(f"stayed_to{s}", ""),
            }
            for i, s in enumerate(STAYED_ROWS)
        ],
        "categories": CATEGORIES,
        "outlets": list(Outlet.objects.filter(property=prop).order_by("name")),
        "companies": list(
            Company.objects.filter(organization_id=prop.organization_id).order_by("name")[:200]
        ),
        "languages": Guest._meta.get_field("language").choices,
    }


@require_GET
@capability_required("manage")
def segment_list(request: HttpRequest) -> HttpResponse:
    segments = Segment.objects.filter(property=request.property).order_by("name")
    return render(
        request,
        "reporting/segments.html",
        {
            "segments": [(s, segment_count(segment=s)) for s in segments[:50]],
            "campaigns": Campaign.objects.filter(property=request.property).select_related(
                "segment"
            )[:50],
        },
    )


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def segment_create(request: HttpRequest) -> HttpResponse:
    values = request.POST if request.method == "POST" else {"match": Segment.Match.ALL}
    if request.method == "POST":
        try:
            segment_save(
                property=request.property,
                name=request.POST.get("name", ""),
                match=request.POST.get("match", ""),
                rules=rules_from_post(request.POST),
                actor=request.user,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(
                request,
                "reporting/segment_form.html",
                _segment_form_context(request, values),
                status=422,
            )
        messages.success(request, _("Segment saved."))
        return redirect("campaigns:segments")
    return render(request, "reporting/segment_form.html", _segment_form_context(request, values))


@require_POST
@capability_required("manage")
@vary_on_headers("HX-Request")
def segment_count_view(request: HttpRequest) -> HttpResponse:
    """The live count beside the form (htmx, on every change): one COUNT query."""
    error, count = "", None
    try:
        rules = segment_rules_clean(rules_from_post(request.POST))
        count = segment_guests(
            property=request.property, match=request.POST.get("match", "all"), rules=rules
        ).count()
    except InvalidInput as exc:
        error = exc.message
    return render(
        request, "reporting/partials/segment_count.html", {"count": count, "error": error}
    )


def _campaign_form_context(request: HttpRequest, values) -> dict:
    prop = request.property
    return {
        "values": values,
        "segments": Segment.objects.filter(property=prop).order_by("name"),
        "triggers": Campaign.Trigger.choices,
        "categories": CATEGORIES,
        "outlets": list(Outlet.objects.filter(property=prop).order_by("name")),
    }


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def campaign_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        post = request.POST
        try:
            campaign = campaign_save(
                property=request.property,
                actor=request.user,
                name=post.get("name", ""),
                segment_id=post.get("segment") or None,
                trigger=post.get("trigger", ""),
                trigger_days=post.get("trigger_days", "0"),
                season_start=post.get("season_start") or None,
                subject_fr=post.get("subject_fr", ""),
                body_fr=post.get("body_fr", ""),
                subject_en=post.get("subject_en", ""),
                body_en=post.get("body_en", ""),
                voucher_amount=post.get("voucher_amount", ""),
                voucher_percent=post.get("voucher_percent", ""),
                voucher_validity_days=post.get("voucher_validity_days", "90"),
                voucher_categories=post.getlist("voucher_categories"),
                voucher_outlets=post.getlist("voucher_outlets"),
                voucher_single_use=post.get("voucher_single_use") == "on",
                send_rate_per_minute=post.get("send_rate_per_minute", "60"),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(
                request,
                "reporting/campaign_form.html",
                _campaign_form_context(request, post),
                status=422,
            )
        messages.success(request, _("Campaign saved as a draft: preview it, then send it."))
        return redirect("campaigns:campaign", pk=campaign.pk)
    values = {
        "trigger_days": "0",
        "voucher_validity_days": "90",
        "send_rate_per_minute": "60",
        "voucher_single_use": "on",
        "segment": request.GET.get("segment", ""),
    }
    return render(request, "reporting/campaign_form.html", _campaign_form_context(request, values))


@require_GET
@capability_required("manage")
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_scoped_or_404(
        Campaign.objects.select_related("segment", "property"), request, pk=pk
    )
    sample = (
        segment_guests(
            property=campaign.property, match=campaign.segment.match, rules=campaign.segment.rules
        )
        .order_by("pk")
        .first()
    )
    previews = []
    for lang in ("fr", "en"):
        guest = Guest(first_name=sample.first_name if sample else "Camille", last_name="Martin")
        if sample:
            guest.last_name = sample.last_name
        guest.language = lang
        with translation.override(lang):  # the amounts as the guest will read them
            subject, body = campaign_render(campaign=campaign, guest=guest)
        previews.append((lang, subject, body))
    return render(
        request,
        "reporting/campaign_detail.html",
        {
            "campaign": campaign,
            "report": campaign_report(campaign=campaign),
            "audience": segment_count(segment=campaign.segment),
            "previews": previews,
        },
    )


@require_POST
@capability_required("manage")
def campaign_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a one-off campaign now (queued, released at its rate), or arm a triggered one."""
    campaign = get_scoped_or_404(Campaign.objects.select_related("segment"), request, pk=pk)
    if campaign.status != Campaign.Status.DRAFT:
        messages.error(request, _("This campaign has already been started."))
        return redirect("campaigns:campaign", pk=campaign.pk)
    queued = campaign_send_now(campaign=campaign, actor=request.user)
    if campaign.trigger == Campaign.Trigger.ONE_OFF:
        from django.utils.translation import ngettext

        messages.success(
            request,
            ngettext("%(n)d e-mail queued.", "%(n)d e-mails queued.", queued) % {"n": queued},
        )
    else:
        messages.success(request, _("Campaign started: it sends when its trigger is due."))
    return redirect("campaigns:campaign", pk=campaign.pk)
