"""The signed archive: verifies offline; one flipped byte anywhere names the file; a
re-signed archive with an edited journal entry names the entry."""

import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from billing.models import ExportJob, JournalEntry
from billing.services import signing
from billing.services.archive import archive_verify, archive_write
from billing.services.exports import export_job_run
from billing.services.folios import ChargeInput, folio_open, folio_post_charges
from billing.services.invoices import credit_note_issue, invoice_issue

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def period(hotel, manager, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the per-install key is generated there
    hotel.siret = "12345678900012"
    hotel.save()
    folio = folio_open(property=hotel, holder_name="Martin")
    folio_post_charges(
        folio=folio,
        charges=[
            ChargeInput("Chambre", D("1"), D("110"), D("110"), D("10"), "accommodation", source="a")
        ],
    )
    invoice = invoice_issue(folio=folio, actor=manager)
    credit_note_issue(invoice=invoice, actor=manager, reason="Geste commercial")
    day = hotel.business_date()
    return day, day + timedelta(days=1)


@pytest.fixture
def archive(hotel, period, tmp_path):
    path = tmp_path / "archive.zip"
    with path.open("wb") as handle:
        archive_write(property=hotel, start=period[0], end=period[1], handle=handle)
    return path


def _rewrite(path: Path, name: str, change) -> None:
    """Rewrite one member of the ZIP with `change(bytes) -> bytes`, others untouched."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members[name] = change(members[name])
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)


def _flip(data: bytes, at: int = 10) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_archive_holds_the_period_and_verifies(archive, hotel):
    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
        invoices = [json.loads(x) for x in z.read("invoices.jsonl").splitlines()]
        manifest = json.loads(z.read("manifest.json"))
    assert names == {
        "tickets.csv",
        "invoices.jsonl",
        "payments.csv",
        "journal.jsonl",
        "public_key.pem",
        "manifest.json",
        "manifest.sig",
    }
    assert [i["kind"] for i in invoices] == ["credit_note", "invoice"]
    assert manifest["journal"]["fiscal"]["first_sequence"] == 1
    check = archive_verify(archive)
    assert check.ok, check.problems
    assert check.fingerprint == signing.fingerprint(signing.public_key_pem())


@pytest.mark.parametrize("name", ["tickets.csv", "invoices.jsonl", "journal.jsonl"])
def test_one_flipped_byte_in_a_file_names_the_file(archive, name):
    _rewrite(archive, name, _flip)
    check = archive_verify(archive)
    assert not check.ok
    assert check.problems == [f"{name}: SHA-256 does not match the manifest"]


def test_one_flipped_byte_in_the_manifest_breaks_the_signature(archive):
    _rewrite(archive, "manifest.json", lambda data: data.replace(b'"format"', b'"formaT"'))
    check = archive_verify(archive)
    assert any(p.startswith("manifest.json: signature does not match") for p in check.problems)


def test_a_corrupted_zip_member_names_the_file(archive):
    raw = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        info = z.getinfo("invoices.jsonl")
    name_len = int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little")
    data_at = info.header_offset + 30 + name_len + extra_len
    raw[data_at + info.compress_size // 2] ^= 0xFF  # inside the compressed data
    archive.write_bytes(bytes(raw))
    problems = archive_verify(archive).problems
    assert problems and all(p.startswith("invoices.jsonl") for p in problems)


def test_a_re_signed_archive_with_an_edited_journal_entry_names_the_entry(archive):
    key = signing.signing_key()

    def edit_journal(data: bytes) -> bytes:
        lines = data.splitlines()
        record = json.loads(lines[1])
        record["fields"]["gross"] = "1.00"
        lines[1] = json.dumps(record, sort_keys=True).encode()
        return b"\n".join(lines) + b"\n"

    _rewrite(archive, "journal.jsonl", edit_journal)
    with zipfile.ZipFile(archive) as z:
        journal = z.read("journal.jsonl")
        manifest = json.loads(z.read("manifest.json"))
    manifest["files"]["journal.jsonl"] = {
        "sha256": hashlib.sha256(journal).hexdigest(),
        "size": len(journal),
    }
    body = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
    _rewrite(archive, "manifest.json", lambda _: body)
    _rewrite(archive, "manifest.sig", lambda _: signing.sign(body, key))
    problems = archive_verify(archive).problems
    assert problems == ["journal.jsonl line 2 (fiscal entry 2): content does not match its hash"]


def test_verify_archive_command_runs_offline_and_checks_the_key(archive, tmp_path):
    def run(*args):
        # a separate process pointed at a database that does not exist: nothing is queried
        env = {
            "PATH": "/usr/bin:/bin",
            "DJANGO_DEBUG": "True",
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "AUBERGE_VAR_DIR": str(tmp_path / "var"),
        }
        return subprocess.run(
            [sys.executable, "manage.py", "verify_archive", str(archive), *args],
            cwd=django_settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )

    ok = run()
    assert ok.returncode == 0, ok.stderr
    assert "signature valid" in ok.stdout
    other = tmp_path / "other.pem"
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other.write_bytes(signing.public_key_pem(Ed25519PrivateKey.generate()))
    wrong = run("--public-key", str(other))
    assert wrong.returncode == 1
    assert "manifest.json: signature does not match" in wrong.stderr
    _rewrite(archive, "payments.csv", _flip)
    broken = run()
    assert broken.returncode == 1
    assert "payments.csv: SHA-256 does not match the manifest" in broken.stderr


def test_archive_export_job_records_a_jet_event(hotel, manager, period, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    job = ExportJob.objects.create(
        property=hotel, kind="archive", start=period[0], end=period[1], requested_by=manager
    )
    job = export_job_run(job_id=job.pk)
    assert job.status == "done", job.message
    assert job.filename == f"123456789-archive-{period[0]:%Y%m%d}-{period[0]:%Y%m%d}.zip"
    event = JournalEntry.objects.get(chain="jet", code="20", payload__kind="archive")
    assert event.payload["sha256"] == job.sha256
    assert archive_verify(tmp_path / "media" / job.storage_name).ok
