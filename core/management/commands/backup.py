"""`manage.py backup`: one encrypted archive of the database, media and fiscal signing key
(core.backups, docs/backups.md)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.backups import BackupError, backup_create, backups_prune, key_generate


class Command(BaseCommand):
    help = "Write an encrypted backup (database, media, fiscal signing key) into BACKUP_DIR."

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="Folder for the archive (default: BACKUP_DIR).")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Then keep BACKUP_KEEP_DAILY daily and BACKUP_KEEP_WEEKLY weekly archives.",
        )
        parser.add_argument(
            "--generate-key", action="store_true", help="Print a new BACKUP_KEY and stop."
        )

    def handle(self, *args, **options):
        if options["generate_key"]:
            self.stdout.write(key_generate())
            return
        folder = Path(options["dir"]) if options["dir"] else None
        try:
            archive = backup_create(folder=folder)
        except BackupError as error:
            raise CommandError(str(error))
        self.stdout.write(_("Backup written: %(path)s") % {"path": archive})
        if options["prune"]:
            deleted = backups_prune(
                folder=archive.parent,
                daily=settings.BACKUP_KEEP_DAILY,
                weekly=settings.BACKUP_KEEP_WEEKLY,
            )
            for path in deleted:
                self.stdout.write(_("Deleted by the retention: %(path)s") % {"path": path})
