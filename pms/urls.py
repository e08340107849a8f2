from django.urls import path

from pms.views import desk, guest_emails, night_audit, online_payments, police
from pms.views import frontdesk as views

app_name = "frontdesk"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("grid/", views.grid, name="grid"),
    path("night-audit/", night_audit.report, name="night_audit"),
    path("police-forms/", police.by_day, name="police_forms"),
    path("online-payments/", online_payments.index, name="online_payments"),
    path(
        "online-payments/<int:pk>/refund-again/",
        online_payments.refund_again,
        name="online_payment_refund_again",
    ),
    path("emails/", guest_emails.index, name="guest_emails"),
    path("emails/<str:kind>/<str:language>/", guest_emails.edit, name="guest_email_edit"),
    path("police-forms/<int:pk>.pdf", police.pdf, name="police_form_pdf"),
    path("reservations/", desk.search, name="search"),
    path("reservations/new/", desk.new, name="new"),
    path("reservations/<str:reference>/change/", desk.change, name="change"),
    path("reservations/<str:reference>/cancel/", desk.cancel, name="cancel"),
    path("reservations/<str:reference>/no-show/", desk.no_show, name="no_show"),
    path("reservations/<str:reference>/rooming-list/", desk.rooming_list, name="rooming_list"),
    path("reservations/<str:reference>/upgrade/", desk.upgrade, name="upgrade"),
    path("reservations/<str:reference>/police-form/", police.capture, name="police_form"),
    path("reservations/<str:reference>/", views.reservation, name="reservation"),
    path("reservations/<str:reference>/check-in/", views.check_in, name="check_in"),
    path("reservations/<str:reference>/move/", views.move, name="move"),
    path("reservations/<str:reference>/extra/", views.post_extra, name="post_extra"),
    path("reservations/<str:reference>/check-out/", views.check_out, name="check_out"),
    path("reservations/<str:reference>/payment/", views.settle, name="settle"),
    path("reservations/<str:reference>/invoice/", views.issue_invoice, name="issue_invoice"),
    path("reservations/<str:reference>/invoice/email/", views.email_invoice, name="email_invoice"),
    path("reservations/<str:reference>/credit-note/", views.credit_note, name="credit_note"),
]
