"""The manager's outlets screen: terminals, printers and their test page, pairing codes."""

from django.urls import path

from pos.views import outlets

app_name = "outlets"

urlpatterns = [path("", outlets.outlets, name="list")]
