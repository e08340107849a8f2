"""Encrypted backups you can restore: the database, the media files and the installation's
secrets (the fiscal signing key) in one archive (docs/backups.md).

An archive is a tar (database dump, media, secrets, manifest) encrypted with AES-256-GCM in
chunks (a STREAM construction: each chunk's nonce carries its counter and whether it is the
last one, so a reordered, cut or altered archive fails to decrypt). The key comes from
`BACKUP_KEY` (32 random bytes, URL-safe base64: `manage.py backup --generate-key`) and is
never written into the archive; each archive derives its own key from it (HKDF with a random
salt) and carries a check value, so a wrong key is told apart from a damaged archive.

PostgreSQL is dumped with `pg_dump -Fc --no-owner --no-acl` and restored with `pg_restore`
as the owner (DATABASE_MIGRATE_URL when set), then the application's role is granted again
exactly as `migrate` does (core.db_roles): the append-only triggers are part of the schema and
come back with it. SQLite (the embedded default) is copied with SQLite's online backup.

Nothing here runs inside a transaction: a backup reads a consistent snapshot (pg_dump's own,
SQLite's backup API) while the application keeps selling.
"""

import base64
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

import environ
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connections
from django.utils.translation import gettext as _

FORMAT_VERSION = 1
MAGIC = b"AUBERGE-BACKUP\x00\x01"  # 16 bytes
SALT_BYTES = 16
CHECK_BYTES = 16
CHUNK_BYTES = 1024 * 1024
TAG_BYTES = 16
NAME_PATTERN = re.compile(r"^auberge-(\d{8}T\d{6}Z)\.backup$")
CREDENTIALS = ("NAME", "USER", "PASSWORD", "HOST", "PORT")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


# --- secrets the installation keeps outside the database ---------------------------------


@dataclass(frozen=True)
class Secret:
    """A file an app needs back after a restore (registered in its AppConfig.ready)."""

    name: str
    read: Callable[[], bytes]
    install: Callable[[bytes], str]  # puts it back; returns what was done, for the operator


SECRETS: dict[str, Secret] = {}


def secret_register(secret: Secret) -> None:
    SECRETS[secret.name] = secret


# --- the key ------------------------------------------------------------------------------


def key_generate() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def backup_key(raw: str | None = None) -> bytes:
    """The 32-byte key from `raw` or BACKUP_KEY; a clear error when missing or malformed."""
    raw = (raw if raw is not None else getattr(settings, "BACKUP_KEY", "")).strip()
    if not raw:
        raise BackupError(
            _("BACKUP_KEY is not set: generate one with `manage.py backup --generate-key`.")
        )
    try:
        key = base64.urlsafe_b64decode(raw.encode())
    except (ValueError, TypeError):
        key = b""
    if len(key) != 32:
        raise BackupError(
            _("BACKUP_KEY must be 32 bytes in URL-safe base64 (`manage.py backup --generate-key`).")
        )
    return key


def _file_key(key: bytes, salt: bytes) -> tuple[bytes, bytes]:
    """This archive's encryption key and its key check value, both derived from BACKUP_KEY."""
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt, info=b"auberge backup v1").derive(
        key
    )
    check = hmac.new(okm[32:], b"key check", hashlib.sha256).digest()[:CHECK_BYTES]
    return okm[:32], check


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def encrypt_stream(source: BinaryIO, target: BinaryIO, key: bytes) -> None:
    """Encrypt `source` into `target`: header, then chunks of `length (4) | ciphertext+tag`."""
    salt = os.urandom(SALT_BYTES)
    file_key, check = _file_key(key, salt)
    header = MAGIC + salt + check + CHUNK_BYTES.to_bytes(4, "big")
    target.write(header)
    aead = AESGCM(file_key)
    counter = 0
    chunk = source.read(CHUNK_BYTES)
    while True:
        following = source.read(CHUNK_BYTES)
        last = not following
        sealed = aead.encrypt(_nonce(counter, last), chunk, header)
        target.write(len(sealed).to_bytes(4, "big") + sealed)
        if last:
            return
        chunk, counter = following, counter + 1


def decrypt_stream(source: BinaryIO, target: BinaryIO, key: bytes) -> None:
    """Decrypt what encrypt_stream wrote; BackupError on a wrong key, damage or truncation."""
    header_size = len(MAGIC) + SALT_BYTES + CHECK_BYTES + 4
    header = source.read(header_size)
    if len(header) != header_size or not header.startswith(MAGIC):
        raise BackupError(_("This file is not an Auberge backup archive."))
    salt = header[len(MAGIC) : len(MAGIC) + SALT_BYTES]
    check = header[len(MAGIC) + SALT_BYTES : len(MAGIC) + SALT_BYTES + CHECK_BYTES]
    chunk_bytes = int.from_bytes(header[-4:], "big")
    if not 0 < chunk_bytes <= 64 * CHUNK_BYTES:  # authenticated below; bounded before reading
        raise BackupError(_("This archive is damaged or was tampered with: nothing was restored."))
    file_key, expected = _file_key(key, salt)
    if not hmac.compare_digest(check, expected):
        raise BackupError(_("This archive was made with another BACKUP_KEY: nothing was restored."))
    aead = AESGCM(file_key)
    damaged = _("This archive is damaged or was tampered with: nothing was restored.")
    counter = 0
    while True:
        size_bytes = source.read(4)
        if len(size_bytes) != 4:
            raise BackupError(damaged)  # cut before its last chunk
        size = int.from_bytes(size_bytes, "big")
        if size < TAG_BYTES or size > chunk_bytes + TAG_BYTES:
            raise BackupError(damaged)
        sealed = source.read(size)
        if len(sealed) != size:
            raise BackupError(damaged)
        last = size < chunk_bytes + TAG_BYTES or not _more(source)
        try:
            target.write(aead.decrypt(_nonce(counter, last), sealed, header))
        except InvalidTag:
            raise BackupError(damaged) from None
        if last:
            if source.read(1):
                raise BackupError(damaged)  # bytes after the last chunk
            return
        counter += 1


def _more(source: BinaryIO) -> bool:
    position = source.tell()
    more = bool(source.read(1))
    source.seek(position)
    return more


# --- the database -------------------------------------------------------------------------


def _credentials(alias: str = "default") -> dict:
    """Who dumps and restores: the owner (DATABASE_MIGRATE_URL) when set, else DATABASE_URL."""
    current = {key: connections[alias].settings_dict.get(key) for key in CREDENTIALS}
    url = getattr(settings, "DATABASE_MIGRATE_URL", "")
    if url and alias == "default":
        owner = environ.Env.db_url_config(url)
        return {key: owner.get(key) or current.get(key) for key in CREDENTIALS}
    return current


def _pg_args(creds: dict) -> tuple[list[str], dict]:
    args = ["--host", str(creds["HOST"] or "127.0.0.1"), "--port", str(creds["PORT"] or 5432)]
    if creds["USER"]:
        args += ["--username", creds["USER"]]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if creds["PASSWORD"]:
        env["PGPASSWORD"] = str(creds["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict, what: str) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            _("%(program)s is not installed on this machine.") % {"program": command[0]}
        )
    if result.returncode != 0:
        raise BackupError(f"{what}: {result.stderr.strip()[-2000:]}")


def _vendor() -> str:
    return connections["default"].vendor


def _dump_database(folder: Path) -> str:
    """Write the database into `folder`; its file name in the archive."""
    vendor = _vendor()
    if vendor == "postgresql":
        creds = _credentials()
        args, env = _pg_args(creds)
        target = folder / "database.dump"
        command = ["pg_dump", *args, "--format=custom", "--no-owner", "--no-acl"]
        _run([*command, "--file", str(target), creds["NAME"]], env, _("pg_dump failed"))
        return target.name
    if vendor == "sqlite":
        target = folder / "database.sqlite3"
        source = sqlite3.connect(connections["default"].settings_dict["NAME"])
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return target.name
    raise BackupError(
        _("Backups support PostgreSQL and SQLite, not %(vendor)s.") % {"vendor": vendor}
    )


@contextmanager
def _as_owner() -> Iterator[dict]:
    """The default connection as DATABASE_MIGRATE_URL's owner for the block (as `migrate`
    does); unchanged without it. Yields the application's credentials."""
    connection = connections["default"]
    app = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
    url = getattr(settings, "DATABASE_MIGRATE_URL", "")
    if not url or connection.vendor != "postgresql":
        yield app
        return
    owner = environ.Env.db_url_config(url)
    connection.close()
    connection.settings_dict.update({key: owner.get(key, "") for key in CREDENTIALS})
    try:
        yield app
    finally:
        connection.close()
        connection.settings_dict.update(app)


def database_is_empty() -> bool:
    """No table at all: what a restore needs (it never merges into existing data). Asked as
    the owner: on a new machine the application's role may not exist yet."""
    with _as_owner():
        return not connections["default"].introspection.table_names()


def _restore_database(folder: Path, name: str) -> None:
    vendor = _vendor()
    if name == "database.dump":
        if vendor != "postgresql":
            raise BackupError(
                _("This archive holds a PostgreSQL database: restore it on PostgreSQL.")
            )
        creds = _credentials()
        args, env = _pg_args(creds)
        command = [
            "pg_restore",
            *args,
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            creds["NAME"],
            str(folder / name),
        ]
        _run(command, env, _("pg_restore failed"))
        _grant_application_role()
        return
    if name == "database.sqlite3":
        if vendor != "sqlite":
            raise BackupError(_("This archive holds a SQLite database: restore it on SQLite."))
        connection = connections["default"]
        connection.close()
        source = sqlite3.connect(folder / name)
        target = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    raise BackupError(_("This file is not an Auberge backup archive."))


def _grant_application_role() -> None:
    """As `migrate` does: the role of DATABASE_URL gets read/insert, fiscal tables insert-only
    (created when missing). Nothing to do without an owner of its own (DATABASE_MIGRATE_URL)."""
    from core.db_roles import app_role_ensure, app_role_grant

    url = getattr(settings, "DATABASE_MIGRATE_URL", "")
    if not url:
        return
    owner_user = environ.Env.db_url_config(url).get("USER")
    with _as_owner() as app:
        if app["USER"] and app["USER"] != owner_user:
            connection = connections["default"]
            app_role_ensure(connection, app["USER"], app["PASSWORD"])
            app_role_grant(connection, app["USER"])


def _privilege_warning() -> str:
    """Restored without an owner of its own, the application's role owns the tables: it
    could switch the fiscal triggers off. Said, as `migrate` says it."""
    from core.db_roles import role_is_privileged

    connection = connections["default"]
    if connection.vendor != "postgresql" or getattr(settings, "DATABASE_MIGRATE_URL", ""):
        return ""
    user = connection.settings_dict.get("USER")
    if not user or not role_is_privileged(connection, user):
        return ""
    return _(
        "Warning: %(role)s is a superuser or owns the restored tables: it can switch the "
        "fiscal triggers off. Restore with DATABASE_MIGRATE_URL (the owner) and give the "
        "application a role of its own."
    ) % {"role": user}


# --- media --------------------------------------------------------------------------------


def media_root() -> Path | None:
    """The folder of the default file storage, when it is one (not an object store)."""
    location = settings.STORAGES.get("default", {}).get("OPTIONS", {}).get("location")
    location = location or getattr(settings, "MEDIA_ROOT", "")
    return Path(location) if location else None


# --- archives -----------------------------------------------------------------------------


def backup_dir() -> Path:
    folder = Path(getattr(settings, "BACKUP_DIR", "") or Path(settings.VAR_DIR) / "backups")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def backup_create(*, folder: Path | None = None, now: datetime | None = None) -> Path:
    """Write one encrypted archive into `folder` (BACKUP_DIR) and return its path."""
    key = backup_key()
    folder = folder or backup_dir()
    folder.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    final = folder / f"auberge-{now:%Y%m%dT%H%M%SZ}.backup"
    with tempfile.TemporaryDirectory(dir=folder, prefix=".work-") as work:
        work_dir = Path(work)
        database = _dump_database(work_dir)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": now.isoformat(),
            "database": {"vendor": _vendor(), "file": database},
            "secrets": sorted(SECRETS),
        }
        plain = work_dir / "archive.tar"
        with tarfile.open(plain, "w") as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
            tar.add(work_dir / database, arcname=database)
            for secret in SECRETS.values():
                _add_bytes(tar, f"secrets/{secret.name}", secret.read(), mode=0o600)
            media = media_root()
            if media and media.is_dir():
                tar.add(media, arcname="media")
        partial = work_dir / "archive.backup"
        with plain.open("rb") as source, partial.open("wb") as target:
            encrypt_stream(source, target, key)
        os.chmod(partial, 0o600)
        os.replace(partial, final)  # whole or absent: never a half-written archive
    return final


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def backup_restore(archive: Path, *, key: str | None = None) -> list[str]:
    """Restore `archive` onto the empty database of DATABASE_URL; what was done, as lines.

    The archive is decrypted and checked whole before anything is written, so a wrong key or a
    damaged archive changes nothing."""
    secret_key = backup_key(key)
    if not archive.is_file():
        raise BackupError(_("No such file: %(path)s") % {"path": archive})
    done = []
    with tempfile.TemporaryDirectory(prefix="auberge-restore-") as work:
        work_dir = Path(work)
        plain = work_dir / "archive.tar"
        with archive.open("rb") as source, plain.open("wb") as target:
            decrypt_stream(source, target, secret_key)
        if not database_is_empty():
            raise BackupError(
                _(
                    "The database is not empty: a restore only goes into an empty database. "
                    "Create a new one, point DATABASE_URL at it and run the restore again."
                )
            )
        with tarfile.open(plain) as tar:
            tar.extractall(work_dir / "content", filter="data")
        content = work_dir / "content"
        manifest = json.loads((content / "manifest.json").read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise BackupError(_("This archive's format is not supported by this version."))
        _restore_database(content, manifest["database"]["file"])
        done.append(
            _("Database restored (%(vendor)s).") % {"vendor": manifest["database"]["vendor"]}
        )
        for name in manifest.get("secrets", []):
            secret = SECRETS.get(name)
            path = content / "secrets" / name
            if secret is not None and path.is_file():
                done.append(secret.install(path.read_bytes()))
        media = media_root()
        if media and (content / "media").is_dir():
            media.mkdir(parents=True, exist_ok=True)
            shutil.copytree(content / "media", media, dirs_exist_ok=True)
            done.append(_("Media files restored into %(path)s.") % {"path": media})
    return done


# --- retention ----------------------------------------------------------------------------


def _archives(folder: Path) -> Iterator[tuple[datetime, Path]]:
    for path in folder.iterdir():
        match = NAME_PATTERN.match(path.name)
        if match and path.is_file():
            yield datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC), path


def backups_prune(*, folder: Path | None = None, daily: int, weekly: int) -> list[Path]:
    """Keep the newest archive of each of the `daily` latest days and of the `weekly` latest
    ISO weeks; delete the other archives (only files named like ours). Returns the deleted."""
    folder = folder or backup_dir()
    archives = sorted(_archives(folder), reverse=True)
    keep: set[Path] = set()
    days: dict[date, Path] = {}
    weeks: dict[tuple[int, int], Path] = {}
    for moment, path in archives:
        days.setdefault(moment.date(), path)
        weeks.setdefault(moment.isocalendar()[:2], path)
    keep.update(list(days.values())[:daily])
    keep.update(list(weeks.values())[:weekly])
    deleted = []
    for _moment, path in archives:
        if path not in keep:
            path.unlink()
            deleted.append(path)
    return deleted
