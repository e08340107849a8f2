from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.csp import api_docs_policy
from core.views import healthz, livez

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    # a guest's phone: the QR menus of the tables and rooms (no sign-in, a signed token);
    # first after the probes, since 200 phones read it at once: resolved behind the thirty
    # other includes it took 0.07 ms a view, here 0.01 ms (bench_guest_menu)
    path("g/", include("pos.guest_urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves its initialising script as a file: no inline script (core.csp)
    path(
        "api/docs/",
        api_docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("api/v1/", include("config.api_urls")),
    path("devices/", include("devices.urls")),
    path("pos/", include("pos.urls")),
    # the desk's gift-card sale is a POS sale (pos.services.gift_card_sales)
    path("frontdesk/gift-cards/", include("pos.desk_gift_card_urls")),
    path("frontdesk/", include("pms.urls")),
    path("housekeeping/", include("pms.housekeeping_urls")),
    path("channels/", include("channels_sync.urls")),
    # gift cards bought in the booking engine, and the amounts a manager offers: pos's sale
    path("", include("pos.online_gift_card_urls")),
    path("book/", include("pms.booking_urls")),
    path("billing/", include("billing.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("reporting/", include("reporting.urls")),
    path("manage/", include("pms.rates_urls")),
    path("manage/", include("core.manage_urls")),
    path("manage/", include("billing.manage_urls")),
    path("manage/tourist-tax/", include("billing.tourist_tax_urls")),
    path("manage/accounts/", include("billing.chart_urls")),
    path("manage/companies/", include("crm.manage_urls")),
    path("manage/loyalty/", include("crm.loyalty_urls")),
    path("manage/", include("reporting.manage_urls")),
    path("manage/", include("pms.manage_urls")),
    path("guests/", include("crm.urls")),
    path("m/", include("crm.campaign_urls")),
    path("kiosk/", include("pos.kiosk_urls")),
    # an outlet's click-and-collect page (no sign-in, a signed token)
    path("collect/", include("pos.collect_urls")),
    path("manage/guest-ordering/", include("pos.guest_manage_urls")),
    path("marketing/", include("reporting.campaign_urls")),
    # the manager's back office: catalogue, menus and promotions (outlet menus are pos's)
    path("manage/", include("inventory.backoffice_urls")),
    path("manage/catalogue/outlets/", include("pos.menu_urls")),
    path("manage/outlets/", include("pos.outlet_urls")),
    path("guests/", include("reporting.guest_urls")),
    # the time clock (/clock/ on the terminals) and the manager's hours (/manage/time/)
    path("", include("timeclock.urls")),
    path("", include("core.urls")),
]

handler400 = "core.errors.bad_request"
handler403 = "core.errors.forbidden"
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    # the managers' photos in development (`make run`); in production the web server serves them
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
