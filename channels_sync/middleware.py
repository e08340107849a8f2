"""The public iCal feed skips the staff middleware (sessions, locale, CSRF, auth, messages,
HTMX, active property): OTAs poll it often and it needs none of them. Measured in-process on
a warm 304: ~3.9 ms through the whole stack against ~2.0 ms for the view."""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import reverse

from channels_sync import views


class FeedFastPathMiddleware:
    """Placed right after SecurityMiddleware: GET /channels/ical/<token>.ics goes straight to
    the feed view; everything else goes down the usual chain."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.prefix:
            sample = reverse("channels_sync:feed_ics", kwargs={"token": "t"})
            self.prefix = sample[: -len("t.ics")]
        path = request.path_info
        if request.method == "GET" and path.startswith(self.prefix) and path.endswith(".ics"):
            token = path[len(self.prefix) : -len(".ics")]
            if token and "/" not in token:
                request.get_host()  # ALLOWED_HOSTS still applies (CommonMiddleware is skipped)
                try:
                    return views.feed_ics(request, token=token)
                except Http404:
                    return HttpResponseNotFound(b"", content_type="text/plain")
        return self.get_response(request)
