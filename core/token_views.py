"""The manager's screen of scoped API tokens: create (the key shown once), revoke."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.api_tokens import api_token_create, api_token_revoke
from core.exceptions import DomainError
from core.models import ApiToken
from core.scoping import capability_required, scope


@capability_required("manage")
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The property's tokens; a new one shows its key once, on the answer to its creation."""
    new_key = None
    status = 200
    if request.method == "POST":
        try:
            token, new_key = api_token_create(
                property=request.property,
                actor=request.user,
                name=request.POST.get("name", ""),
                read_only=request.POST.get("access") != "write",
                areas=request.POST.getlist("areas"),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 422
        else:
            messages.success(request, _("Token created: copy its key now, it is not shown again."))
    return render(
        request,
        "core/api_tokens.html",
        {
            "tokens": scope(ApiToken.objects.select_related("created_by"), request),
            "areas": ApiToken.AREAS.items(),
            "new_key": new_key,
        },
        status=status,
    )


@require_POST
@capability_required("manage")
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = scope(ApiToken.objects.all(), request).filter(pk=pk).first()
    if token is None:
        raise Http404
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("core:api_tokens")
