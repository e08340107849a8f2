"""The installation's archive signing key (Ed25519, `cryptography`).

Where the private key comes from, first match wins:
1. `FISCAL_SIGNING_KEY` (settings or environment): a PEM (PKCS#8) private key;
2. `FISCAL_SIGNING_KEY_FILE`: a path to such a PEM file;
3. a per-install key generated on first use in VAR_DIR/fiscal-signing-key.pem (mode 0600) —
   fine for a demo or a single machine; production should provide 1 or 2 and back it up.
The public key is shipped inside every archive and shown on the accountant's screen, so an
auditor can check an archive offline (`manage.py verify_archive --public-key`)."""

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

KEY_FILE_NAME = "fiscal-signing-key.pem"


def _configured_pem() -> bytes | None:
    pem = getattr(settings, "FISCAL_SIGNING_KEY", "") or os.environ.get("FISCAL_SIGNING_KEY", "")
    if pem:
        return pem.encode() if isinstance(pem, str) else pem
    path = getattr(settings, "FISCAL_SIGNING_KEY_FILE", "") or os.environ.get(
        "FISCAL_SIGNING_KEY_FILE", ""
    )
    if path:
        return Path(path).read_bytes()
    return None


def signing_key() -> Ed25519PrivateKey:
    pem = _configured_pem()
    if pem is None:
        path = Path(settings.VAR_DIR) / KEY_FILE_NAME
        if not path.exists():
            key = Ed25519PrivateKey.generate()
            data = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            # O_EXCL: two workers starting together do not write two different keys
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
        pem = path.read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("FISCAL_SIGNING_KEY must be an Ed25519 private key")
    return key


def public_key_pem(key: Ed25519PrivateKey | None = None) -> bytes:
    key = key or signing_key()
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(public_pem: bytes) -> str:
    """SHA-256 of the raw public key, grouped for reading aloud over the phone."""
    key = serialization.load_pem_public_key(public_pem)
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return ":".join(digest[i : i + 4] for i in range(0, 32, 4))


def sign(data: bytes, key: Ed25519PrivateKey | None = None) -> bytes:
    """Base64 text of the Ed25519 signature of `data`."""
    return base64.b64encode((key or signing_key()).sign(data)) + b"\n"


def verify(data: bytes, signature_b64: bytes, public_pem: bytes) -> bool:
    try:
        key = serialization.load_pem_public_key(public_pem)
        if not isinstance(key, Ed25519PublicKey):
            return False
        key.verify(base64.b64decode(signature_b64.strip(), validate=True), data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def key_pem_for_backup() -> bytes:
    """The private key in use, as PEM, for core.backups (generated first if it never was)."""
    pem = _configured_pem()
    if pem is None:
        signing_key()
        pem = (Path(settings.VAR_DIR) / KEY_FILE_NAME).read_bytes()
    return pem


def key_install_from_backup(pem: bytes) -> str:
    """Put a backed-up key back (core.backups' restore); what was done, for the operator.

    With no key configured it becomes the per-install key file. A configured key
    (FISCAL_SIGNING_KEY, FISCAL_SIGNING_KEY_FILE) is never overwritten: if it is another key,
    the archive's is written beside it and the operator is told to configure it, since the
    restored checkpoints only verify with the key that signed them."""
    from django.utils.translation import gettext as _

    wanted = fingerprint(public_key_pem(serialization.load_pem_private_key(pem, password=None)))
    configured = _configured_pem()
    var_dir = Path(settings.VAR_DIR)
    if configured is not None:
        current = serialization.load_pem_private_key(configured, password=None)
        if fingerprint(public_key_pem(current)) == wanted:
            return _("Fiscal signing key: the configured key is the archive's (%(fp)s).") % {
                "fp": wanted
            }
        path = var_dir / "fiscal-signing-key.restored.pem"
        _write_private(path, pem)
        return _(
            "Warning: the configured fiscal signing key is not the archive's (%(fp)s); the "
            "archive's key was written to %(path)s: configure it (FISCAL_SIGNING_KEY_FILE) or "
            "the journal's checkpoints will not verify."
        ) % {"fp": wanted, "path": path}
    path = var_dir / KEY_FILE_NAME
    if path.exists() and path.read_bytes() != pem:
        path.rename(path.with_suffix(f".pem.replaced-{os.getpid()}"))
    _write_private(path, pem)
    return _("Fiscal signing key restored into %(path)s (%(fp)s).") % {"path": path, "fp": wanted}


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
