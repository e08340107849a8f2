"""`migrate` as the database owner, then the application role granted (core.db_roles).

With DATABASE_MIGRATE_URL set (PostgreSQL), the default connection is re-opened with that
URL's credentials for the migration, the role of DATABASE_URL is created when missing and
granted read/insert everywhere, update/delete on non-fiscal tables only; then the connection
goes back to the application's role. Without it, Django's own migrate runs unchanged."""

import environ
from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS, connections

from core.db_roles import app_role_ensure, app_role_grant, role_is_privileged

CREDENTIALS = ("NAME", "USER", "PASSWORD", "HOST", "PORT")


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " As DATABASE_MIGRATE_URL's owner when set, then grants."

    def handle(self, *args, **options):
        url = getattr(settings, "DATABASE_MIGRATE_URL", "")
        alias = options.get("database") or DEFAULT_DB_ALIAS
        connection = connections[alias]
        if not url or alias != DEFAULT_DB_ALIAS or connection.vendor != "postgresql":
            return super().handle(*args, **options)
        app = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
        owner = environ.Env.db_url_config(url)
        connection.close()
        connection.settings_dict.update({key: owner.get(key, "") for key in CREDENTIALS})
        try:
            super().handle(*args, **options)
            if app["USER"] and app["USER"] != owner.get("USER"):
                if app_role_ensure(connection, app["USER"], app["PASSWORD"]):
                    self.stdout.write(f"Created the application role {app['USER']}.")
                fiscal = app_role_grant(connection, app["USER"])
                if options["verbosity"]:
                    self.stdout.write(
                        f"Granted {app['USER']}: read and insert; {len(fiscal)} fiscal "
                        "tables insert-only."
                    )
                if role_is_privileged(connection, app["USER"]):
                    self.stderr.write(
                        f"Warning: {app['USER']} is a superuser or owns tables: it can switch "
                        "the fiscal triggers off. Give the application a role of its own."
                    )
        finally:
            connection.close()
            connection.settings_dict.update(app)
