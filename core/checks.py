"""System checks (`manage.py check`, run by `migrate` and `runserver`) for what the code
assumes of its environment."""

import sqlite3

from django.conf import settings
from django.core.checks import Error, register

SQLITE_MIN = (3, 35)  # bulk inserts return the new rows' ids (RETURNING) from 3.35


def sqlite_errors(engine: str, version: tuple[int, ...], version_text: str) -> list[Error]:
    """The embedded default writes a sale's lines, VAT rows and kitchen tickets in one INSERT
    each and needs their ids back: an older SQLite is refused at start, not at the till."""
    if engine != "django.db.backends.sqlite3" or tuple(version) >= SQLITE_MIN:
        return []
    return [
        Error(
            f"SQLite {version_text} is too old: Auberge needs "
            f"{'.'.join(map(str, SQLITE_MIN))} or newer (or PostgreSQL, DATABASE_URL).",
            id="auberge.E001",
        )
    ]


@register()
def sqlite_version_check(app_configs, **kwargs) -> list[Error]:
    return sqlite_errors(
        settings.DATABASES["default"]["ENGINE"], sqlite3.sqlite_version_info, sqlite3.sqlite_version
    )
