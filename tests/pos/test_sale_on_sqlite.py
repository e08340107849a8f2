"""The sale's tests on the embedded SQLite default (make run): the hand-written statements
of the sale (capacity, journal head, order id, idempotent answer — issue 28) run there as on
PostgreSQL. pytest in its own process on a throw-away SQLite database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ON_SQLITE = [
    "tests/pos/test_sale_primitives.py",
    "tests/pos/test_checkout.py",
    "tests/inventory/test_capacity.py",
    "tests/billing/test_journal.py",
    "tests/core/test_migration_ops.py",
]
# PostgreSQL's own: its append-only triggers, row locks between two connections
POSTGRES_ONLY = [
    "test_fiscal_rows_cannot_be_updated_or_deleted",
    "test_verify_journal_names_the_row_changed_with_raw_sql",
    "test_verify_journal_finds_a_deleted_row",
    "test_concurrent_sales_get_consecutive_journal_sequences",
    "test_a_sale_locks_its_journal_chain_not_the_property",
]


@pytest.mark.sqlite
def test_the_sale_and_its_primitives_pass_on_sqlite(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "TEST_DATABASE_NAME", "PYTEST_XDIST_WORKER"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'auberge.sqlite3'}",
        AUBERGE_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(
        [
            sys.executable,
            *("-m", "pytest", "-q", "-n", "0", "-p", "no:randomly"),
            *("-k", "not (" + " or ".join(POSTGRES_ONLY) + ")"),
            *ON_SQLITE,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
