"""`manage.py verify_archive <zip> [--public-key key.pem]`: check a signed period archive
offline (no database): manifest signature, every file's SHA-256, the journal chains.
Exits 1 naming each problem; 0 when the archive is intact."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.services.archive import archive_verify


class Command(BaseCommand):
    help = "Verify a signed archive export offline: signature, file hashes, journal chain."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("archive", help="path to the ZIP archive")
        parser.add_argument(
            "--public-key",
            help="PEM file of the expected public key (default: the key inside the archive)",
        )

    def handle(self, *args, **options):
        key = None
        if options.get("public_key"):
            try:
                key = Path(options["public_key"]).read_bytes()
            except OSError as exc:
                raise CommandError(f"cannot read the public key: {exc}")
        check = archive_verify(options["archive"], public_key_pem=key)
        if check.fingerprint:
            self.stdout.write(f"public key fingerprint: {check.fingerprint}")
        if not check.ok:
            for problem in check.problems:
                self.stderr.write(f"FAILED {problem}")
            raise SystemExit(1)
        manifest = check.manifest or {}
        period = manifest.get("period", {})
        entries = sum(
            info["last_sequence"] - info["first_sequence"] + 1
            for info in manifest.get("journal", {}).values()
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"OK {manifest.get('property', {}).get('name', '')} "
                f"{period.get('start')} → {period.get('end_exclusive')} (exclusive): "
                f"{len(manifest.get('files', {}))} files, {entries} journal entries, "
                "signature valid"
            )
        )
