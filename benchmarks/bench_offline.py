"""Offline tills (issue 23, POS-9): draining a queue of 500 sales one device made offline
(chained and signed as the browser does: pos.services.offline.ticket_sign) through the sync
service, each verified and applied by sale_checkout with its journal entry — sales/s, time
to drain, CPU per sale (this process: Python; the database's backends measured apart), and
the same queue sent again (a lost answer: every sale replayed). Then, in Chromium through
gunicorn, the time a till takes after the network drops to show the offline sale screen
(target < 3 s), over several drops."""

import os
import statistics
import time
import uuid
from decimal import Decimal
from pathlib import Path

from benchmarks import harness

SALES = 500
DROPS = 5
ITEMS = ("cafe", "biere", "spritz", "coca")


def prepare() -> dict:
    # BENCH_REUSE=1: the scratch database of a previous run (each run pairs a new device)
    if os.environ.get("BENCH_REUSE") != "1":
        harness.reset_database()
        harness.manage("seed_demo")
    harness.setup_django()
    from django.utils import timezone

    from core.models import Property, Role
    from inventory.models import Channel, Product
    from inventory.services.pricing import QuoteLineInput, quote
    from pos.models import Terminal
    from pos.services.offline import device_pair, ticket_sign
    from tests.factories.core import make_staff

    hotel = Property.objects.get(slug="les-pins")
    cashier = make_staff(hotel, Role.CASHIER, username=f"bench-offline-{uuid.uuid4().hex[:6]}")
    terminal = Terminal.objects.filter(property=hotel).order_by("pk").first()
    device = device_pair(terminal=terminal, actor=cashier)
    products = list(Product.objects.filter(property=hotel, code__in=ITEMS).order_by("code"))
    prices = {
        p.pk: quote(
            property=hotel, channel=Channel.POS, lines=[QuoteLineInput(product_id=p.pk)]
        ).total
        for p in products
    }
    queue, previous = [], ""
    for i in range(SALES):
        picked = [products[i % len(products)], products[(i + 1) % len(products)]]
        total = sum((prices[p.pk] for p in picked), Decimal("0.00"))
        ticket = ticket_sign(
            device_id=str(device.public_id),
            key=device.key,
            previous_hash=previous,
            ticket={
                "type": "sale",
                "sequence": i + 1,
                "client_key": str(uuid.uuid4()),
                "sold_at": timezone.now().isoformat(),
                "table": "",
                "covers": 0,
                "room": "",
                "lines": [
                    {"product_id": p.pk, "quantity": 1, "unit_price": str(prices[p.pk])}
                    for p in picked
                ],
                "tenders": [{"method": "cash" if i % 3 else "card", "amount": str(total),
                             "reference": "" if i % 3 else f"CB{i}"}],
                "total": str(total),
                "cashier": cashier.pk,
                "tab_lines": [],
            },
        )  # fmt: skip
        previous = ticket["hash"]
        queue.append(ticket)
    return {"hotel": hotel, "device": device, "cashier": cashier, "queue": queue}


def drain(ctx: dict) -> dict:
    from django.db import connection

    from billing.services.journal import journal_verify
    from pos.services.offline import offline_sync

    def backend_cpu() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            return 0.0

    cpu0, db0, wall0 = time.process_time(), backend_cpu(), time.perf_counter()
    result = offline_sync(device=ctx["device"], actor=ctx["cashier"], queue=ctx["queue"])
    wall = time.perf_counter() - wall0
    cpu, db_cpu = time.process_time() - cpu0, backend_cpu() - db0
    applied = result.sync.applied
    wall1 = time.perf_counter()
    again = offline_sync(device=ctx["device"], actor=ctx["cashier"], queue=ctx["queue"])
    replay = time.perf_counter() - wall1
    assert applied == SALES, result.sync.__dict__
    assert again.sync.replayed == SALES
    assert journal_verify(property=ctx["hotel"], chain="fiscal").ok
    return {
        "sales": SALES,
        "applied": applied,
        "seconds": round(wall, 2),
        "per_second": round(SALES / wall, 1),
        "cpu_ms_per_sale_python": round(cpu * 1000 / SALES, 2),
        "cpu_ms_per_sale_postgres": round(db_cpu * 1000 / SALES, 2),
        "replay_seconds": round(replay, 2),
        "replay_per_second": round(SALES / replay, 1),
    }


def switch_times(ctx: dict) -> dict:
    """Chromium through gunicorn: the network drops (context.set_offline) → the offline
    screen is drawn from the service worker's cache and IndexedDB."""
    from django.conf import settings
    from django.core import signing
    from django.test import Client
    from playwright.sync_api import sync_playwright

    from core.terminals import COOKIE, SALT
    from pos.models import Terminal
    from tests.browser import CHROMIUM_ARGS

    terminal = Terminal.objects.select_related("outlet").get(pk=ctx["device"].terminal_id)
    client = Client()
    client.force_login(ctx["cashier"])
    cookie = signing.dumps(
        {
            "property_id": terminal.property_id,
            "terminal_id": terminal.pk,
            "label": f"{terminal.outlet.name} · {terminal.name}",
        },
        salt=SALT,
    )
    times = []
    # a loaded machine starts gunicorn slowly; the offline screen needs its static files
    served = harness.gunicorn(workers=2, start_timeout=120, statics=True)
    with served as port, sync_playwright() as p:
        url = f"http://127.0.0.1:{port}"
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_cookies(
            [
                {"name": settings.SESSION_COOKIE_NAME, "url": url,
                 "value": client.cookies[settings.SESSION_COOKIE_NAME].value},
                {"name": COOKIE, "value": cookie, "url": url},
                {"name": "django_language", "value": "en", "url": url},
            ]
        )  # fmt: skip
        page = context.new_page()
        page.set_default_timeout(30000)
        ready = (
            "() => navigator.serviceWorker.ready.then(r => !!r.active && !!window.AubergeOffline)"
            ".then(ok => ok && window.AubergeOffline.getMeta('device')).then(d => !!d)"
        )
        for _ in range(DROPS):
            page.goto(f"{url}/pos/counter/")
            for _ in range(300):
                if page.evaluate(ready):
                    break
                page.wait_for_timeout(100)
            page.wait_for_timeout(500)
            start = time.perf_counter()
            context.set_offline(True)
            page.wait_for_url(f"{url}/pos/offline/")
            page.wait_for_selector("#offline-app[data-loaded=true]")
            page.wait_for_selector("[data-testid=offline-banner][data-state=offline]")
            times.append(time.perf_counter() - start)
            context.set_offline(False)
        browser.close()
    return {
        "drops": len(times),
        "median_s": round(statistics.median(times), 2),
        "max_s": round(max(times), 2),
        "all_s": [round(t, 2) for t in times],
    }


def main() -> None:
    ctx = prepare()
    drained = drain(ctx)
    try:
        switch = switch_times(ctx)
    except Exception as error:  # noqa: BLE001 (a loaded machine: keep the drain's figures)
        switch = {"drops": 0, "median_s": "—", "max_s": "—", "error": repr(error)[:300]}
    harness.write_results(
        "offline",
        {"drain": drained, "switch": switch},
        [
            (
                f"drain {SALES} offline sales of one device (verify chain + sale_checkout + "
                "journal, one sync)",
                f"{drained['per_second']} sales/s, {drained['seconds']} s",
                "reported",
            ),
            (
                "CPU per drained sale: Python / PostgreSQL backend",
                f"{drained['cpu_ms_per_sale_python']} ms / "
                f"{drained['cpu_ms_per_sale_postgres']} ms",
                "reported",
            ),
            (
                "the same queue again (a lost answer): every sale replayed",
                f"{drained['replay_per_second']} items/s, {drained['replay_seconds']} s",
                "nothing twice",
            ),
            (
                f"till switches to the offline screen after the network drops ({DROPS} drops)",
                f"median {switch['median_s']} s, max {switch['max_s']} s",
                "< 3 s",
            ),
        ],
    )
