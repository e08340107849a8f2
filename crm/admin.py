from django.contrib import admin

from crm.models import Company, Guest


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "siren", "vat_number", "email"]
    list_filter = ["organization"]
    search_fields = ["name", "siren", "siret", "vat_number"]
    filter_horizontal = ["rate_plans"]


@admin.register(Guest)
class GuestAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "email", "phone", "company", "organization"]
    list_filter = ["organization", "language", "marketing_opt_in"]
    search_fields = ["last_name", "first_name", "email", "phone"]
    list_select_related = ["company", "organization"]
    raw_id_fields = ["company"]
