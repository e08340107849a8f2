"""The PostgreSQL connection's settings: a statement a connection repeats is prepared once
(parsed and planned once per connection, not at every tap), and the switch for poolers that
cannot keep prepared statements turns it off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from pos.models import Table

ROOT = Path(__file__).resolve().parents[2]


def _prepared_here() -> int:
    """This connection's prepared statements that read tables by position (the test's own)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%"pos_table"."pos_y" >= $%'],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_statement_repeated_on_a_connection_is_prepared_once():
    before = _prepared_here()
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    for n in range(threshold + 2):  # different values, one statement
        assert not Table.objects.filter(pk=10_000 + n, pos_y__gte=n).exists()
    assert _prepared_here() == before + 1


def _options(**env) -> str:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); "
        "from django.conf import settings; o = settings.DATABASES['default'].get('OPTIONS', {}); "
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))"
    )
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_PREPARE")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_prepared_statements_can_be_switched_off_for_a_pooler():
    url = "postgres://postgres@127.0.0.1:5432/auberge"
    assert _options(DATABASE_URL=url) == "True 5"
    assert _options(DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="2") == "True 2"
    assert _options(DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="False") == "None None"


def test_sqlite_gets_no_postgresql_options():
    assert _options(DATABASE_URL="sqlite:////tmp/auberge-settings-test.sqlite3") == "None None"
