"""Demo printers for "Hôtel Les Pins": a bar receipt printer with its cash drawer and a
kitchen printer, both writing ESC/POS bytes to files under var/printers/ (no hardware).

Idempotent: rows are found by their natural keys (property + code, printer)."""

from django.conf import settings

from devices.models import CashDrawer, Printer


def seed(context: dict) -> None:
    hotel = context["property"]
    folder = settings.VAR_DIR / "printers"
    folder.mkdir(parents=True, exist_ok=True)
    bar, _ = Printer.objects.update_or_create(
        property=hotel,
        code="bar",
        defaults=dict(
            name="Bar — reçus",
            connection=Printer.Connection.FILE,
            file_path=str(folder / "bar.escpos"),
            paper_width=Printer.PaperWidth.MM_80,
            code_page=Printer.CodePage.CP858,
            is_active=True,
        ),
    )
    Printer.objects.update_or_create(
        property=hotel,
        code="cuisine",
        defaults=dict(
            name="Cuisine — bons",
            connection=Printer.Connection.FILE,
            file_path=str(folder / "cuisine.escpos"),
            paper_width=Printer.PaperWidth.MM_58,
            code_page=Printer.CodePage.CP858,
            is_active=True,
        ),
    )
    CashDrawer.objects.update_or_create(
        printer=bar,
        defaults=dict(property=hotel, name="Tiroir du bar", kick_pin=CashDrawer.KickPin.PIN_2),
    )
    context["printers"] = {
        "bar": bar,
        "kitchen": Printer.objects.get(property=hotel, code="cuisine"),
    }
