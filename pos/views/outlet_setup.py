"""Terminals, printers and the stations' printers, created and changed from the manager's
outlets screen (/manage/outlets/, issue 21). ModelForms parse; devices.services.printer_save
and pos.services.outlet_setup check, save and audit."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from core.scoping import capability_required
from devices.models import CardReader, Printer
from devices.services import CARD_READER_FIELDS, PRINTER_FIELDS, card_reader_save, printer_save
from inventory.models import StockLocation
from pos.models import Outlet, Terminal
from pos.services.outlet_setup import (
    OUTLET_FIELDS,
    outlet_save,
    station_printer_set,
    terminal_save,
)

UNPROCESSABLE = 422


class PrinterForm(forms.ModelForm):
    class Meta:
        model = Printer
        fields = PRINTER_FIELDS


class CardReaderForm(forms.ModelForm):
    class Meta:
        model = CardReader
        fields = CARD_READER_FIELDS

    def _post_clean(self):
        """The form parses only; devices.services.card_reader_save checks the whole row."""


class OutletForm(forms.ModelForm):
    class Meta:
        model = Outlet
        fields = OUTLET_FIELDS

    def __init__(self, *args, property, **kwargs):
        super().__init__(*args, **kwargs)
        # where its sales take their ingredients from: the property's locations only
        self.fields["stock_location"].queryset = StockLocation.objects.filter(property=property)
        self.fields["stock_location"].help_text = _("None: its sales touch no stock.")

    def validate_unique(self):
        """The service says it, in the manager's words (the form's instance has no property)."""


class TerminalForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("name"), max_length=100)
    outlet = forms.ModelChoiceField(queryset=Outlet.objects.none(), label=gettext_lazy("outlet"))
    printer = forms.ModelChoiceField(
        queryset=Printer.objects.none(), required=False, label=gettext_lazy("receipt printer")
    )
    card_reader = forms.ModelChoiceField(
        queryset=CardReader.objects.none(), required=False, label=gettext_lazy("card terminal")
    )
    is_active = forms.BooleanField(required=False, initial=True, label=gettext_lazy("active"))

    def __init__(self, *args, property, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outlet"].queryset = Outlet.objects.filter(property=property)
        self.fields["printer"].queryset = Printer.objects.filter(property=property)
        self.fields["card_reader"].queryset = CardReader.objects.filter(property=property)


def _first_error(form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("Check the form.")


def _page(request, *, title: str, form, error: str, printer=None) -> HttpResponse:
    return render(
        request,
        "pos/outlet_form.html",
        {"title": title, "form": form, "error": error, "printer": printer},
        status=UNPROCESSABLE if error else 200,
    )


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def printer_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A new printer, or one of the property's (another's: 404)."""
    printer = get_object_or_404(Printer, property=request.property, pk=pk) if pk else None
    title = printer.name if printer else _("New printer")
    form = PrinterForm(request.POST or None, instance=printer)
    if request.method == "POST":
        # the form parses; the service checks the whole row (a model form would save it)
        form.instance = Printer(property=request.property) if printer is None else printer
        if not form.is_valid():
            return _page(request, title=title, form=form, error=_first_error(form), printer=printer)
        try:
            saved = printer_save(
                property=request.property,
                actor=request.user,
                fields={f: form.cleaned_data[f] for f in PRINTER_FIELDS},
                printer=Printer.objects.get(pk=printer.pk) if printer else None,
            )
        except DomainError as exc:
            return _page(request, title=title, form=form, error=str(exc.message), printer=printer)
        messages.success(request, _("“%(name)s” saved.") % {"name": saved.name})
        return redirect("outlets:list")
    return _page(request, title=title, form=form, error="", printer=printer)


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def card_reader_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A new card terminal, or one of the property's (another's: 404)."""
    reader = get_object_or_404(CardReader, property=request.property, pk=pk) if pk else None
    title = reader.name if reader else _("New card terminal")
    form = CardReaderForm(request.POST or None, instance=reader)
    if request.method == "POST":
        if not form.is_valid():
            return _page(request, title=title, form=form, error=_first_error(form))
        try:
            saved = card_reader_save(
                property=request.property,
                actor=request.user,
                fields={f: form.cleaned_data[f] for f in CARD_READER_FIELDS},
                reader=CardReader.objects.get(pk=reader.pk) if reader else None,
            )
        except DomainError as exc:
            return _page(request, title=title, form=form, error=str(exc.message))
        messages.success(request, _("“%(name)s” saved.") % {"name": saved.name})
        return redirect("outlets:list")
    return _page(request, title=title, form=form, error="")


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def outlet_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A new outlet, or one of the property's (another's: 404): code, name, kind, active."""
    outlet = get_object_or_404(Outlet, property=request.property, pk=pk) if pk else None
    title = outlet.name if outlet else _("New outlet")
    form = OutletForm(request.POST or None, instance=outlet, property=request.property)
    if request.method == "POST":
        form.instance = Outlet(property=request.property) if outlet is None else outlet
        if not form.is_valid():
            return _page(request, title=title, form=form, error=_first_error(form))
        try:
            saved = outlet_save(
                property=request.property,
                actor=request.user,
                fields={f: form.cleaned_data[f] for f in OUTLET_FIELDS},
                outlet=Outlet.objects.get(pk=outlet.pk) if outlet else None,
            )
        except DomainError as exc:
            return _page(request, title=title, form=form, error=str(exc.message))
        messages.success(request, _("“%(name)s” saved.") % {"name": saved.name})
        return redirect("outlets:list")
    return _page(request, title=title, form=form, error="")


@require_http_methods(["GET", "POST"])
@capability_required("manage")
def terminal_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A new terminal, or one of the property's (another's: 404)."""
    terminal = get_object_or_404(Terminal, property=request.property, pk=pk) if pk else None
    title = terminal.name if terminal else _("New terminal")
    initial = (
        {
            "name": terminal.name,
            "outlet": terminal.outlet_id,
            "printer": terminal.printer_id,
            "card_reader": terminal.card_reader_id,
            "is_active": terminal.is_active,
        }
        if terminal
        else {"is_active": True}
    )
    form = TerminalForm(request.POST or None, initial=initial, property=request.property)
    if request.method == "POST":
        if not form.is_valid():
            return _page(request, title=title, form=form, error=_first_error(form))
        data = form.cleaned_data
        try:
            saved = terminal_save(
                property=request.property,
                actor=request.user,
                name=data["name"],
                outlet=data["outlet"],
                printer=data["printer"],
                card_reader=data["card_reader"],
                is_active=data["is_active"],
                terminal=terminal,
            )
        except DomainError as exc:
            return _page(request, title=title, form=form, error=str(exc.message))
        messages.success(request, _("“%(name)s” saved.") % {"name": saved.name})
        return redirect("outlets:list")
    return _page(request, title=title, form=form, error="")


@require_POST
@capability_required("manage")
def station_printer(request: HttpRequest) -> HttpResponse:
    """The printer a station (kitchen, bar) prints its tickets on, or none."""
    raw = request.POST.get("printer", "")
    printer = None
    if raw:
        try:
            printer = Printer.objects.filter(property=request.property, pk=int(raw)).first()
        except ValueError:
            raise Http404 from None
        if printer is None:
            raise Http404
    try:
        station_printer_set(
            property=request.property,
            actor=request.user,
            station=request.POST.get("station", ""),
            printer=printer,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("outlets:list")
