"""Backups you can restore: a demo with sales, backed up, restored into a fresh PostgreSQL
database (as the owner, for an application role granted as `migrate` does), verifies there,
with its fiscal tables still append-only; a wrong key, a tampered archive and a database that
is not empty are refused with a clear message and nothing written."""

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from billing.models import Closure, JournalCheckpoint, JournalEntry
from billing.services.closures import closure_run
from billing.services.payments import TenderInput
from core.backups import (
    BackupError,
    backup_create,
    backups_prune,
    decrypt_stream,
    encrypt_stream,
    key_generate,
)
from core.models import Property, Role
from inventory.models import Product
from pos.models import Terminal
from pos.services.checkout import order_checkout
from tests.factories.core import make_staff
from tests.pos.helpers import line

ROOT = Path(__file__).resolve().parents[2]
KEY = key_generate()


def _pg() -> dict:
    db = connection.settings_dict
    return {
        "user": db["USER"] or "postgres",
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "name": db["NAME"],
    }


def _url(user: str, database: str, password: str = "") -> str:
    pg = _pg()
    auth = f"{user}:{password}" if password else user
    return f"postgres://{auth}@{pg['host']}:{pg['port']}/{database}"


def _admin(sql: str) -> None:
    pg = _pg()
    with psycopg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(sql)


@pytest.fixture
def restore_db():
    """A fresh, empty database of its own (and an application role), dropped after."""
    name = f"{_pg()['name']}_restore"
    role = f"auberge_restore_app_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    yield name, role
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def backup_settings(settings, tmp_path):
    settings.BACKUP_KEY = KEY
    settings.BACKUP_DIR = str(tmp_path / "backups")
    media = tmp_path / "media"
    (media / "logos").mkdir(parents=True)
    (media / "logos" / "les-pins.png").write_bytes(b"\x89PNG logo")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(media)}},
    }
    return settings


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.django_db(transaction=True)
def test_a_demo_with_sales_restores_into_a_fresh_database_and_verifies(
    backup_settings, restore_db, tmp_path
):
    call_command("seed_demo")
    hotel = Property.objects.get(slug="les-pins")
    terminal = Terminal.objects.filter(property=hotel).order_by("pk").first()
    cashier = make_staff(hotel, Role.CASHIER, username="backup-cashier")
    for code, quantity in [("cafe", "2"), ("spritz", "1"), ("cafe", "1")]:
        item = Product.objects.get(property=hotel, code=code)
        order_checkout(
            property=hotel,
            terminal=terminal,
            actor=cashier,
            lines=[line(item, quantity)],
            tenders=[TenderInput(method="cash", amount=item.price * Decimal(quantity))],
        )
    # the day closed: its checkpoint is signed with the installation's key
    closure_run(property=hotel, period=Closure.Period.DAY, day=hotel.business_date())
    assert JournalCheckpoint.objects.filter(property=hotel).exists()
    entries = JournalEntry.objects.filter(chain="fiscal").count()
    assert entries > 4
    archive = backup_create()
    assert archive.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert b"PRIVATE KEY" not in archive.read_bytes()  # encrypted, key included

    database, role = restore_db
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FISCAL_SIGNING_KEY", "FISCAL_SIGNING_KEY_FILE", "DATABASE_MIGRATE_URL"}
    }
    env.update(
        # the application's own role, as in production; the owner restores
        DATABASE_URL=_url(role, database, "app-secret"),
        DATABASE_MIGRATE_URL=_url(_pg()["user"], database),
        AUBERGE_VAR_DIR=str(tmp_path / "restored-var"),  # a machine without the signing key
        BACKUP_KEY=KEY,
        AUBERGE_TESTING="1",
        DJANGO_DEBUG="False",
        AUBERGE_ALLOW_INSECURE_KEY="1",
    )
    restored = _manage("restore", str(archive), env=env)
    assert restored.returncode == 0, restored.stderr
    # manage.py speaks the installation's language (French)
    assert "Base de données restaurée" in restored.stdout
    assert "Clé de signature fiscale restaurée" in restored.stdout
    assert (tmp_path / "restored-var" / "fiscal-signing-key.pem").exists()
    logo = tmp_path / "restored-var" / "media" / "logos" / "les-pins.png"
    assert logo.read_bytes() == b"\x89PNG logo"  # the media files came back too

    verified = _manage("verify_journal", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "BROKEN" not in verified.stdout

    pg = _pg()
    with psycopg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], dbname=database, autocommit=True
    ) as owner:
        # every sale and the closure came back (verify_journal adds its own JET events)
        count = owner.execute(
            "SELECT count(*) FROM billing_journalentry WHERE chain = 'fiscal'"
        ).fetchone()[0]
        assert count == entries  # the demo's month, the 3 sales and the closures
        # the append-only triggers came back with the schema: even the owner cannot rewrite
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            owner.execute("UPDATE billing_journalentry SET gross = 0")
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            owner.execute("DELETE FROM billing_ticket")
    with psycopg.connect(
        host=pg["host"],
        port=pg["port"],
        user=role,
        password="app-secret",
        dbname=database,
        autocommit=True,
    ) as app:
        # and the application's role was granted as `migrate` grants it: insert-only there
        assert app.execute("SELECT count(*) FROM billing_ticket").fetchone()[0] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("UPDATE billing_ticket SET total = 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("ALTER TABLE billing_ticket DISABLE TRIGGER ALL")


@pytest.fixture
def archive(backup_settings, db):
    return backup_create()


def test_a_wrong_key_is_refused_and_nothing_is_restored(archive, backup_settings):
    backup_settings.BACKUP_KEY = key_generate()
    before = JournalEntry.objects.count()
    with pytest.raises(CommandError, match="made with another BACKUP_KEY"):
        call_command("restore", str(archive))
    assert JournalEntry.objects.count() == before


@pytest.mark.parametrize("where", ["middle", "end", "cut"])
def test_a_tampered_archive_is_refused(archive, tmp_path, where):
    data = bytearray(archive.read_bytes())
    if where == "middle":
        data[len(data) // 2] ^= 0x01
    elif where == "end":
        data[-1] ^= 0x80
    else:
        data = data[: len(data) - 100]
    tampered = tmp_path / "tampered.backup"
    tampered.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="damaged or was tampered with"):
        call_command("restore", str(tampered))


def test_a_database_with_tables_is_refused(archive):
    with pytest.raises(CommandError, match="The database is not empty"):
        call_command("restore", str(archive))


def test_a_missing_or_malformed_key_is_a_clear_error(backup_settings, db):
    backup_settings.BACKUP_KEY = ""
    with pytest.raises(CommandError, match="BACKUP_KEY is not set"):
        call_command("backup")
    backup_settings.BACKUP_KEY = "too-short"
    with pytest.raises(CommandError, match="32 bytes"):
        call_command("backup")


def test_chunks_cannot_be_reordered_or_dropped():
    from core import backups

    key = backups.backup_key(KEY)
    plain = os.urandom(backups.CHUNK_BYTES * 2 + 10)
    sealed = BytesIO()
    encrypt_stream(BytesIO(plain), sealed, key)
    out = BytesIO()
    decrypt_stream(BytesIO(sealed.getvalue()), out, key)
    assert out.getvalue() == plain
    header = len(backups.MAGIC) + backups.SALT_BYTES + backups.CHECK_BYTES + 4
    full = 4 + backups.CHUNK_BYTES + backups.TAG_BYTES
    raw = sealed.getvalue()
    first, second, rest = raw[header : header + full], raw[header + full : header + 2 * full], raw
    swapped = raw[:header] + second + first + rest[header + 2 * full :]
    dropped = raw[:header] + first + rest[header + 2 * full :]
    for bad in (swapped, dropped, raw[: header + full]):
        with pytest.raises(BackupError):
            decrypt_stream(BytesIO(bad), BytesIO(), key)


def test_the_retention_keeps_the_latest_days_and_weeks(tmp_path):
    start = datetime(2026, 3, 1, 5, 45, tzinfo=UTC)  # a Sunday
    names = []
    for day in range(40):
        for hour in (0, 6):  # two a day: the day's newest is the one kept
            moment = start + timedelta(days=day, hours=hour)
            names.append(f"auberge-{moment:%Y%m%dT%H%M%SZ}.backup")
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not an archive")

    deleted = backups_prune(folder=tmp_path, daily=7, weekly=4)

    kept = sorted(p.name for p in tmp_path.glob("auberge-*.backup"))
    assert len(deleted) == len(names) - len(kept)
    # the 7 latest days (their last archive), 3 to 9 April
    assert [n for n in kept if n >= "auberge-20260403"] == [
        f"auberge-202604{d:02d}T114500Z.backup" for d in range(3, 10)
    ]
    # plus the newest of each of the 4 latest ISO weeks (two already among the days)
    assert kept[:2] == ["auberge-20260322T114500Z.backup", "auberge-20260329T114500Z.backup"]
    assert len(kept) == 9
    assert (tmp_path / "notes.txt").exists()


def test_the_nightly_task_writes_an_archive_and_applies_the_retention(backup_settings, db):
    from config.celery import app
    from core.tasks import backup_task

    schedule = app.conf.beat_schedule
    assert any(e["task"] == "core.tasks.backup_task" for e in schedule.values())
    folder = Path(backup_settings.BACKUP_DIR)
    folder.mkdir(parents=True)
    old = folder / "auberge-20200101T054500Z.backup"
    old.write_bytes(b"x")
    backup_settings.BACKUP_KEEP_DAILY = 1
    backup_settings.BACKUP_KEEP_WEEKLY = 1

    written = Path(backup_task())

    assert written.parent == folder and written.exists()
    assert not old.exists()  # past the retention


def test_the_nightly_task_without_a_key_writes_nothing(backup_settings, db, caplog):
    from core.tasks import backup_task

    backup_settings.BACKUP_KEY = ""
    assert backup_task().startswith("failed")
    assert "BACKUP_KEY is not set" in caplog.text
    assert not list(Path(backup_settings.BACKUP_DIR).glob("*.backup"))


def test_sqlite_backs_up_and_restores_by_file(tmp_path):
    """The embedded default (`make run`): SQLite's online backup, restored into an empty file."""
    source = tmp_path / "source.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE demo_note (id integer primary key, text varchar)")
        db.execute("INSERT INTO demo_note (text) VALUES ('Chambre 12 : oreiller en plus')")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "AUBERGE_TESTING", "DATABASE_MIGRATE_URL"}
    }
    env.update(
        DJANGO_DEBUG="True",
        BACKUP_KEY=KEY,
        AUBERGE_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{source}",
    )
    made = _manage("backup", "--dir", str(tmp_path / "backups"), env=env)
    assert made.returncode == 0, made.stderr
    archive = next((tmp_path / "backups").glob("auberge-*.backup"))

    target = tmp_path / "target.sqlite3"
    env.update(DATABASE_URL=f"sqlite:///{target}", AUBERGE_VAR_DIR=str(tmp_path / "var2"))
    restored = _manage("restore", str(archive), env=env)
    assert restored.returncode == 0, restored.stderr
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT text FROM demo_note").fetchall() == [
            ("Chambre 12 : oreiller en plus",)
        ]
    again = _manage("restore", str(archive), env=env)
    assert again.returncode != 0
    assert "La base de données n’est pas vide" in again.stderr
