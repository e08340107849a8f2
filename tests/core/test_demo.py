"""seed_demo is idempotent, and `make run`'s embedded default (SQLite, no Redis) really works."""

import os
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.apps import apps
from django.core.management import call_command

from core.demo import DEMO_STAFF, demo_password
from core.models import Role

ROOT = Path(__file__).resolve().parents[2]


def row_counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label not in {"sessions", "admin", "contenttypes", "auth"}
        and m._meta.label != "core.AuditEntry"
    }


@pytest.mark.django_db
def test_seed_demo_twice_gives_the_same_counts(capsys):
    call_command("seed_demo")
    call_command("verify_journal")  # the demo's documents are sealed and verify
    first = {k: v for k, v in row_counts().items() if k != "billing.JournalEntry"}
    call_command("seed_demo")
    assert {k: v for k, v in row_counts().items() if k != "billing.JournalEntry"} == first
    assert first["core.Membership"] == len(DEMO_STAFF) + 1
    assert first["pms.Room"] == 24
    assert first["pos.Table"] == 18  # the restaurant's floor plan and the pool terrace
    out = capsys.readouterr().out
    for username, *_ in DEMO_STAFF:
        assert demo_password(username) in out


@pytest.mark.django_db
def test_the_demo_books_a_real_month_on_its_own_business_dates():
    from collections import Counter
    from decimal import Decimal

    from billing.models import Closure, FolioLine, Payment
    from billing.services.fec import fec_rows
    from billing.services.reconciliation import (
        reconciliation_difference,
        reconciliation_for_day,
    )
    from core.models import Property

    call_command("seed_demo")
    hotel = Property.objects.get(slug="les-pins")
    today = hotel.business_date()
    start = today - timedelta(days=30)
    # each room night on the business date of its night, not on the day the demo ran
    nights = FolioLine.objects.filter(folio__property=hotel, source__startswith="pms.night:")
    assert nights.exists()
    assert all(line.business_date == line.service_date for line in nights)
    # the month's FEC: entries spread over the month, balanced day by day
    rows = list(fec_rows(property=hotel, start=start, end=today))[1:]
    per_day = Counter(row[3] for row in rows)
    assert len(per_day) >= 20
    assert max(per_day.values()) < len(rows) / 5  # no day holds the month
    for day in per_day:
        lines = [r for r in rows if r[3] == day]
        debit = sum(Decimal(r[11].replace(",", ".") or 0) for r in lines)
        credit = sum(Decimal(r[12].replace(",", ".") or 0) for r in lines)
        assert debit == credit, day
    # the past days are closed in order and reconcile to zero
    yesterday = today - timedelta(days=1)
    assert Closure.objects.filter(property=hotel, period="day", start=yesterday).exists()
    paid_days = Payment.objects.filter(property=hotel, business_date__lt=today)
    last_paid = paid_days.order_by("-business_date").values_list("business_date", flat=True)[0]
    rows = reconciliation_for_day(property=hotel, business_date=last_paid)
    total = reconciliation_difference(rows)
    assert rows and total == {"difference": Decimal("0.00"), "complete": True}
    call_command("verify_journal")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sqlite_env(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "AUBERGE_TESTING"}
    }
    env.update(DJANGO_DEBUG="True", AUBERGE_VAR_DIR=str(tmp_path / "var"))
    return env


def manage(env, *args) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.sqlite
def test_embedded_default_serves_the_demo_on_sqlite(sqlite_env, tmp_path):
    manage(sqlite_env, "migrate", "--noinput", "-v0")
    out = manage(sqlite_env, "seed_demo")
    assert "reception" in out and demo_password("reception") in out
    manage(sqlite_env, "seed_demo")  # idempotent on SQLite too
    assert (tmp_path / "var" / "auberge.sqlite3").exists()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=sqlite_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        health = requests.get(f"{base}/healthz", timeout=5)
        assert health.status_code == 200, health.text
        assert health.json()["database"] == "ok"
        for username, _first, _last, role, _pin in DEMO_STAFF:
            session = requests.Session()
            page = session.get(f"{base}/login/", timeout=5)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            home = session.post(
                f"{base}/login/",
                timeout=5,
                headers={"Referer": f"{base}/login/"},
                data={
                    "username": username,
                    "password": demo_password(username),
                    "csrfmiddlewaretoken": token,
                },
            )
            assert home.status_code == 200
            if role == Role.HOUSEKEEPING:
                # housekeeping works one screen all day: it lands on its board
                assert home.url == f"{base}/housekeeping/"
                assert 'data-testid="housekeeping"' in home.text
            else:
                assert home.url == f"{base}/"
                assert 'data-testid="home-role"' in home.text
            assert "Hôtel Les Pins" in home.text
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_docker_compose_parses_and_names_the_services():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"migrate", "web", "worker", "beat", "db", "redis"}
    # only the one-shot migration knows the owner's password; the app runs as its own role
    assert "DATABASE_MIGRATE_URL" in services["migrate"]["environment"]
    assert services["migrate"]["command"] == "python manage.py migrate --noinput"
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert "DATABASE_MIGRATE_URL" not in environment
        assert environment["DATABASE_URL"].startswith("postgres://auberge_app:")
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert "APP_DB_PASSWORD=" in (ROOT / ".env.example").read_text()
    assert "gunicorn" in compose["services"]["web"]["command"]
    assert "worker" in compose["services"]["worker"]["command"]
    assert "beat" in compose["services"]["beat"]["command"]
    env_example = (ROOT / ".env.example").read_text()
    for var in ("SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL"):
        assert f"{var}=" in env_example


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"AUBERGE_TESTING", "DJANGO_DEBUG"}}
    env.update(
        SECRET_KEY="k" * 30 + "-a-long-random-production-secret-value",
        ALLOWED_HOSTS="hotel.example.com",
        AUBERGE_VAR_DIR=str(tmp_path / "var"),
    )
    env.pop("AUBERGE_ALLOW_INSECURE_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
