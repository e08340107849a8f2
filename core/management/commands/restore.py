"""`manage.py restore <archive>`: a backup back onto an empty database (core.backups)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive of `manage.py backup` onto the empty database of DATABASE_URL "
        "(with its media and fiscal signing key). Refuses a database that has tables."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .backup file.")

    def handle(self, *args, **options):
        try:
            done = backup_restore(Path(options["archive"]))
        except BackupError as error:
            raise CommandError(str(error))
        for line in done:
            self.stdout.write(line)
