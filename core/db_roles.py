"""Least-privilege database roles on PostgreSQL (docs/fiscal.md, "Database roles").

The triggers that refuse UPDATE and DELETE of fiscal rows protect nothing from a role that
may switch them off: the tables' owner can `ALTER TABLE … DISABLE TRIGGER`, and a superuser
can also `SET session_replication_role = replica`. So the application connects as a role
that owns nothing: it may read and insert everywhere, update and delete only where a
non-fiscal table needs it, and never truncate. `manage.py migrate` runs as the owner
(DATABASE_MIGRATE_URL) and calls `app_role_grant` after each run, so a table a migration
adds is granted at once; a table with an append-only trigger is insert-only by construction.
"""

from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql

APPEND_ONLY_SUFFIX = "_append_only"


def append_only_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """Tables guarded by an append-only trigger (the fiscal records), by name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE %s ORDER BY 1",
            ["%" + APPEND_ONLY_SUFFIX],
        )
        return [row[0] for row in cursor.fetchall()]


def app_role_ensure(connection: BaseDatabaseWrapper, role: str, password: str | None) -> bool:
    """Create the application's login role when missing (the owner needs CREATEROLE).
    Returns True when it was created. Never a superuser, never an owner of anything."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone():
            return False
        statement = sql.SQL(
            "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
        ).format(sql.Identifier(role))
        if password:
            statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
        cursor.execute(statement)
        return True


def app_role_grant(connection: BaseDatabaseWrapper, role: str) -> list[str]:
    """Grant `role` what the application needs on the current database's public schema and
    no more; returns the insert-only (fiscal) tables. Idempotent: run after every migrate."""
    fiscal = append_only_tables(connection)
    ident = sql.Identifier(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), ident),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident),
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(ident),
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
            ).format(ident),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident),
            # the migration history is the owner's to write
            sql.SQL("REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {}").format(ident),
        ]
        statements += [
            sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), ident)
            for table in fiscal
        ]
        for statement in statements:
            cursor.execute(statement)
    return fiscal


def role_is_privileged(connection: BaseDatabaseWrapper, role: str) -> bool:
    """True when `role` could switch the fiscal triggers off: a superuser, or the owner of
    a table of the public schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper OR EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' "
            "AND tableowner = rolname) FROM pg_roles WHERE rolname = %s",
            [role],
        )
        row = cursor.fetchone()
    return bool(row and row[0])
