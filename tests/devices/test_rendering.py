"""The receipt and kitchen layouts: ESC/POS bytes and the plain text of the same paper."""

import json
from decimal import Decimal

import pytest

from devices.documents import KitchenTicketDocument, ReceiptDocument, document_from_json
from devices.rendering import PrintSettings, render_escpos, render_text
from tests.factories.devices import make_kitchen_ticket, make_receipt

ESC_INIT = b"\x1b@"
ESC_CP858 = b"\x1bt\x13"  # ESC t 19 (Epson default profile)
ESC_CP1252 = b"\x1bt\x10"  # ESC t 16
BOLD_ON = b"\x1bE\x01"
DOUBLE_SIZE = b"\x1b!\x30"  # ESC ! with double height + double width
DOUBLE_HEIGHT = b"\x1b!\x10"
QR = b"\x1d(k"
CUT = b"\x1dV\x00"
DRAWER_PIN2 = b"\x1bp\x00"


def test_receipt_survives_a_json_round_trip_with_money_as_strings():
    # given
    receipt = make_receipt().as_duplicate(reprint_count=1)
    # when
    stored = json.loads(json.dumps(receipt.to_json()))
    # then
    assert stored["total_gross"] == "23.80"
    assert stored["lines"][0]["unit_price"] == "8.50"
    assert stored["vat_breakdown"][1]["rate"] == "20.0"
    assert stored["issued_at"] == "2026-03-14T21:37:00+01:00"
    rebuilt = document_from_json("receipt", stored)
    assert rebuilt == receipt
    assert isinstance(rebuilt.lines[0].total, Decimal)
    assert rebuilt.reprint_count == 1


def test_kitchen_ticket_survives_a_json_round_trip():
    ticket = make_kitchen_ticket()
    assert KitchenTicketDocument.from_json(json.loads(json.dumps(ticket.to_json()))) == ticket


def test_receipt_bytes_initialise_select_cp858_and_encode_accents():
    # when
    data = render_escpos(make_receipt(), settings=PrintSettings(columns=48, code_page="CP858"))
    # then
    assert data.startswith(ESC_INIT)
    assert ESC_CP858 in data
    assert "Crème brûlée".encode("cp858") in data
    assert b"Cr\x8ame br\x96l\x82e" in data  # è=0x8A û=0x96 é=0x82 in CP858
    assert "Café".encode("cp858") == b"Caf\x82"
    assert b"Caf\x82" in data
    assert "€23.80".encode("cp858") in data  # € = 0xD5 in CP858
    assert BOLD_ON in data and DOUBLE_SIZE in data
    assert QR in data and b"https://auberge.example/r/T-000123" in data
    assert data.endswith(b"\x1bd\x06" + CUT)  # feed 6 lines, full cut
    assert b"\x1bp" not in data  # no drawer pulse unless the job says so
    assert b"DUPLICATA" not in data


def test_receipt_bytes_on_a_cp1252_printer_use_its_table():
    data = render_escpos(make_receipt(), settings=PrintSettings(code_page="CP1252"))
    assert ESC_CP1252 in data
    assert b"Caf\xe9" in data
    assert b"\x8023.80" in data  # € = 0x80 in CP1252


def test_drawer_pulse_only_when_asked():
    settings = PrintSettings()
    assert DRAWER_PIN2 + b"\x32\x32" in render_escpos(
        make_receipt(), settings=settings, open_drawer=True
    )
    assert b"\x1bp" not in render_escpos(make_receipt(), settings=settings, open_drawer=False)
    # a "no sale" job has no paper: initialise and pulse, nothing else
    assert render_escpos(None, settings=PrintSettings(drawer_pin=5), open_drawer=True) == (
        ESC_INIT + b"\x1bp\x01\x32\x32"
    )


@pytest.mark.parametrize("columns", [32, 48])
def test_plain_text_receipt_shows_header_lines_vat_and_totals(columns, write_artifact):
    # when
    text = render_text(make_receipt(), columns=columns)
    write_artifact(f"receipt_{columns}cols", text)
    # then
    lines = text.splitlines()
    assert all(len(line) <= columns for line in lines)
    assert lines[0].strip() == "Hôtel Les Pins"
    assert "Les Pins SAS" in text
    assert "12 avenue des Pins" in text and "83990 Saint-Tropez" in text
    assert "SIRET 85234567800014" in text
    assert "VAT no. FR32852345678" in text
    assert "Ticket T-000123" in text and "2026-03-14 21:37" in text
    assert "Terminal: Bar 1" in text and "Cashier: Léa" in text
    assert lines[lines.index("  2 x 8.50") - 1] == "Crème brûlée".ljust(columns - 5) + "15.30"
    assert "  + Chantilly" in lines
    assert "  Remise 10%".ljust(columns - 5) + "-1.70" in lines
    assert "Café".ljust(columns - 4) + "2.50" in lines
    vat_rows = [line.split() for line in lines if line.split()[:1] in (["10%"], ["20%"])]
    assert vat_rows == [["10%", "16.18", "1.62", "17.80"], ["20%", "5.00", "1.00", "6.00"]]
    assert "Total excl. VAT".ljust(columns - 5) + "21.18" in lines
    assert "VAT".ljust(columns - 4) + "2.62" in lines
    assert "TOTAL".ljust(columns // 2 - 6) + "€23.80" in lines
    assert "Espèces".ljust(columns - 5) + "30.00" in lines
    assert "Change".ljust(columns - 4) + "6.20" in lines
    assert "Document no. BAR1-2026-000123" in lines
    qr = [line.strip() for line in lines].index("[QR]")
    assert "".join(lines[qr + 1 : qr + 3]).startswith("https://auberge.example/r/T-000123")
    assert "DUPLICATA" not in text


def test_duplicate_is_marked_on_paper_and_in_text(write_artifact):
    # given
    duplicate = make_receipt().as_duplicate(reprint_count=2)
    # when
    text = render_text(duplicate, columns=48)
    data = render_escpos(duplicate, settings=PrintSettings())
    write_artifact("receipt_duplicata", text)
    # then
    assert text.splitlines()[0].strip() == "DUPLICATA"
    assert "DUPLICATA reprint no. 2" in text
    assert data.count(b"DUPLICATA") == 2
    assert b"\x1bp" not in data


def test_french_receipt_uses_decimal_commas(write_artifact):
    text = render_text(make_receipt(language="fr"), columns=32)
    write_artifact("receipt_fr_32cols", text)
    assert "Crème brûlée".ljust(27) + "15,30" in text.splitlines()
    assert "14/03/2026 21:37" in text


def test_kitchen_ticket_prints_items_in_large_type(write_artifact):
    # given
    ticket = make_kitchen_ticket()
    # when
    data = render_escpos(ticket, settings=PrintSettings(columns=48))
    text = render_text(ticket, columns=48)
    write_artifact("kitchen_ticket", text)
    # then
    assert data.startswith(ESC_INIT) and ESC_CP858 in data
    item = DOUBLE_SIZE + BOLD_ON + "2 x Crème brûlée".encode("cp858") + b"\n"
    assert item in data
    assert DOUBLE_HEIGHT in data and "NOTE: allergie noix".encode("cp858") in data
    assert data.endswith(b"\x1bd\x06" + CUT)  # feed 6 lines, full cut
    assert b"\x1bp" not in data
    lines = text.splitlines()
    assert lines[0].strip() == "CUISINE"
    assert "Table 12".ljust(40) + "4 covers" in lines
    assert "Waiter: Hugo" in lines
    assert "2 x Crème brûlée" in lines and "   + sans sucre" in lines
    assert "   NOTE: allergie noix" in lines
    assert all(len(line) <= 48 for line in lines)


def test_unknown_kind_has_no_document():
    assert document_from_json("drawer", {}) is None
    assert isinstance(document_from_json("receipt", make_receipt().to_json()), ReceiptDocument)
