"""The manager's outlets screen: terminals, printers and their test page, the stations'
printers, pairing codes."""

from django.urls import path

from pos.views import outlet_setup, outlets

app_name = "outlets"

urlpatterns = [
    path("", outlets.outlets, name="list"),
    path("new/", outlet_setup.outlet_edit, name="outlet_new"),
    path("<int:pk>/", outlet_setup.outlet_edit, name="outlet"),
    path("printers/new/", outlet_setup.printer_edit, name="printer_new"),
    path("printers/<int:pk>/", outlet_setup.printer_edit, name="printer"),
    path("card-terminals/new/", outlet_setup.card_reader_edit, name="card_reader_new"),
    path("card-terminals/<int:pk>/", outlet_setup.card_reader_edit, name="card_reader"),
    path("terminals/new/", outlet_setup.terminal_edit, name="terminal_new"),
    path("terminals/<int:pk>/", outlet_setup.terminal_edit, name="terminal"),
    path("stations/", outlet_setup.station_printer, name="station"),
]
