"""Segments and campaigns at scale (issue 24).

Data (bulk SQL, timed): 100,000 guests of one organisation (a third with marketing consent,
a tenth English), 500,000 tickets of 2 lines each — 1,000,000 sale lines — over a year at
the Bar and the Restaurant, each ticket attached to a guest; 150,000 checked-out stays.
Measured in the same run:
- a segment "spent more than 50 € at the Bar in the year AND at least 2 visits AND consent"
  counted (one COUNT statement, cold then warm p50), and the same with OR;
- a one-off campaign to 10,000 consenting guests queued (the audience read + the bulk
  insert), then released by the beat at 1,000 e-mails a minute: each release sends at most
  the rate, and one within the same minute sends nothing; a batch of 200 is then really
  sent (locmem backend: rendering, voucher issue, QR) to report the e-mails per second one
  worker sends; then two batches of 200 through Django's SMTP backend to a local SMTP server
  on 127.0.0.1 (tests/fakes/smtp_server.py): the batch's one connection, against one
  connection per e-mail (what the sender did before). CPU seconds of this process are
  reported beside the wall clock."""

import statistics
import time
from datetime import timedelta

from benchmarks import harness

GUESTS = 100_000
TICKETS = 500_000
STAYS = 150_000
CAMPAIGN_SIZE = 10_000
RATE = 1_000


def _cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def prepare() -> dict:
    harness.reset_database()
    harness.setup_django()
    from datetime import date

    from django.db import connection

    from tests.factories.core import PropertyFactory, make_staff

    prop = PropertyFactory(name="Hôtel Bench", slug="bench-crm")
    user = make_staff(prop, "manager", username="bench")
    start = date(2025, 1, 1)
    params = {"p": prop.pk, "o": prop.organization_id, "u": user.pk, "start": start}
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO crm_guest (created_at, updated_at, organization_id, public_id,
              first_name, last_name, email, phone, language, country, notes, marketing_opt_in,
              diet, allergies, email_key, phone_key)
            SELECT now(), now(), %(o)s, gen_random_uuid(), 'Guest', 'G' || g,
                   'g' || g || '@example.org', '', CASE WHEN g %% 10 = 0 THEN 'en' ELSE 'fr' END,
                   'FR', '', g %% 3 = 0, '', '', 'g' || g || '@example.org', ''
            FROM generate_series(1, %(n)s) g
            """,
            {**params, "n": GUESTS},
        )
        cur.execute("SELECT min(id) FROM crm_guest")
        first_guest = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO billing_ticket (created_at, updated_at, property_id, public_id, number,
              business_date, status, outlet, terminal, cashier_id, total, total_vat, tip,
              currency, guest_id)
            SELECT now(), now(), %(p)s, gen_random_uuid(), k,
                   %(start)s::date + (k %% 365), 'paid',
                   CASE WHEN k %% 2 = 0 THEN 'Bar' ELSE 'Restaurant' END, 'Caisse 1', %(u)s,
                   26.00, 3.80, 0, 'EUR', %(g0)s + (k::bigint * 7919) %% %(n)s
            FROM generate_series(1, %(t)s) k
            """,
            {**params, "t": TICKETS, "g0": first_guest, "n": GUESTS},
        )
        cur.execute(
            """
            INSERT INTO billing_ticketline (description, quantity, unit_price, total, vat_rate,
              vat_amount, net, revenue_category, applied_rule, ticket_id, modifiers, discount)
            SELECT x.description, 1, x.total, x.total, x.rate, x.vat, x.total - x.vat,
                   x.category, '', t.id, '[]'::jsonb, 0
            FROM billing_ticket t,
                 (VALUES ('Plat du jour', 16.00, 10.00, 1.45, 'food'),
                         ('Verre de vin', 10.00, 20.00, 1.67, 'alcohol')) AS
                   x(description, total, rate, vat, category)
            WHERE t.property_id = %(p)s
            """,
            params,
        )
        cur.execute(
            """
            INSERT INTO pms_reservation (created_at, updated_at, property_id, public_id,
              reference, guest_id, status, channel, external_reference, arrival, departure,
              adults, children, notes, total_price, group_name, guarantee_note, policy)
            SELECT now(), now(), %(p)s, gen_random_uuid(), 'B' || s,
                   %(g0)s + (s::bigint * 104729) %% %(n)s, 'checked_out', 'front_desk', '',
                   %(start)s::date + (s %% 360), %(start)s::date + (s %% 360) + 2, 2, 0, '', 300,
                   '', '', '{}'::jsonb
            FROM generate_series(1, %(s)s) s
            """,
            {**params, "s": STAYS, "g0": first_guest, "n": GUESTS},
        )
        cur.execute("SELECT count(*) FROM billing_ticketline")
        lines = cur.fetchone()[0]
        cur.execute("ANALYZE")
    return {
        "guests": GUESTS,
        "tickets": TICKETS,
        "sale_lines": lines,
        "stays": STAYS,
        "data_seconds": round(time.perf_counter() - started, 1),
        "property_id": prop.pk,
        "user_id": user.pk,
        "start": start,
    }


def measure_segment(prop, rules, match) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from reporting.segments import segment_guests

    timings, counts, statements = [], [], []
    for _ in range(6):
        reset_queries()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            counts.append(segment_guests(property=prop, match=match, rules=rules).count())
        timings.append(time.perf_counter() - started)
        statements.append(len(ctx.captured_queries))
    # the plan's own Execution Time (PostgreSQL's clock, no round trip: less sensitive to
    # the load than the wall clock) and whether it was JIT-compiled, median of 3
    plans = []
    with connection.cursor() as cur:
        for _ in range(3):
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + ctx.captured_queries[0]["sql"])
            plans.append(cur.fetchone()[0][0])
    return {
        "count": counts[0],
        "cold_ms": round(timings[0] * 1000, 1),
        "warm_p50_ms": round(statistics.median(timings[1:]) * 1000, 1),
        "statements": sorted(set(statements)),
        "plan_execution_ms": round(statistics.median(p["Execution Time"] for p in plans), 1),
        "plan_jit": any("JIT" in p for p in plans),
    }


def main() -> None:
    data = prepare()
    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.test.utils import override_settings
    from django.utils import timezone

    from core.models import Property
    from crm.models import Campaign, CampaignRecipient
    from crm.services.campaigns import (
        campaign_batch_send,
        campaign_save,
        campaigns_release_due,
        segment_save,
    )

    prop = Property.objects.get(pk=data["property_id"])
    user = get_user_model().objects.get(pk=data["user_id"])
    start = data["start"]
    rules = [
        {
            "type": "spent",
            "min": "50",
            "outlet": "Bar",
            "from": start.isoformat(),
            "to": (start + timedelta(days=364)).isoformat(),
        },
        {"type": "visits", "min": "2"},
        {"type": "consent"},
    ]
    segment = segment_save(property=prop, name="Bench", match="all", rules=rules, actor=user)
    cpu = _cpu()
    and_result = measure_segment(prop, segment.rules, "all")
    or_result = measure_segment(prop, segment.rules, "any")
    segment_cpu = round(_cpu() - cpu, 2)

    # a campaign to 10,000 consenting guests
    audience = segment_save(
        property=prop,
        name="10k",
        match="all",
        rules=[{"type": "consent"}, {"type": "language", "value": "fr"}],
        actor=user,
    )
    campaign = campaign_save(
        property=prop,
        actor=user,
        name="Bench",
        segment_id=audience.pk,
        subject_fr="Bonjour {first_name}",
        body_fr="Votre bon {voucher_code} de {voucher_value}. {link}",
        subject_en="Hello {first_name}",
        body_en="Your voucher {voucher_code} worth {voucher_value}. {link}",
        voucher_amount="20",
        send_rate_per_minute=str(RATE),
    )
    # the audience is larger (≈ 27,000): the first 10,000 of it, through the service's
    # bulk path (what campaign_send_now does with the whole audience)
    from crm.services.campaigns import campaign_queue, campaign_start
    from reporting.segments import segment_guests

    cpu, started = _cpu(), time.perf_counter()
    campaign_start(campaign=campaign, actor=user)
    guest_ids = list(
        segment_guests(property=prop, match="all", rules=audience.rules)
        .order_by("pk")
        .values_list("pk", flat=True)[:CAMPAIGN_SIZE]
    )
    queued = campaign_queue(campaign=campaign, recipients=((pk, "once") for pk in guest_ids))
    queue_seconds = round(time.perf_counter() - started, 2)
    queue_cpu = round(_cpu() - cpu, 2)

    # the beat, minute after minute (simulated clock): at most RATE per minute
    now = timezone.now()
    released = [campaigns_release_due(now=now)]
    released.append(campaigns_release_due(now=now + timedelta(seconds=30)))  # same minute
    released.append(campaigns_release_due(now=now + timedelta(seconds=61)))
    # a real batch of 200 sent by this process (locmem backend)
    batch = list(
        CampaignRecipient.objects.filter(campaign=campaign, status="sending")
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        cpu, started = _cpu(), time.perf_counter()
        sent = campaign_batch_send(recipient_ids=batch)
        send_seconds = time.perf_counter() - started
        send_cpu = _cpu() - cpu
    # through SMTP: one connection per batch, then (for comparison) one per e-mail
    from crm.services.campaigns import campaign_message_send
    from tests.fakes.smtp_server import FakeSmtpServer

    smtp = FakeSmtpServer().start()
    smtp_settings = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": smtp.port,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
    }
    pending = list(
        CampaignRecipient.objects.filter(campaign=campaign, status="sending")
        .order_by("pk")
        .values_list("pk", flat=True)[:400]
    )
    with override_settings(**smtp_settings):
        started = time.perf_counter()
        smtp_sent = campaign_batch_send(recipient_ids=pending[:200])
        smtp_seconds = time.perf_counter() - started
        batch_connections = smtp.connections
        started = time.perf_counter()
        single_sent = sum(campaign_message_send(recipient_id=pk) for pk in pending[200:400])
        single_seconds = time.perf_counter() - started
        single_connections = smtp.connections - batch_connections
    smtp.stop()
    result = {
        **data,
        "segment_and": and_result,
        "segment_or": or_result,
        "segment_cpu_seconds": segment_cpu,
        "campaign_queued": queued,
        "queue_seconds": queue_seconds,
        "queue_cpu_seconds": queue_cpu,
        "released_per_beat": released,
        "sent_in_batch": sent,
        "emails_per_second_one_worker": round(sent / send_seconds, 1),
        "send_cpu_seconds": round(send_cpu, 2),
        "smtp_batch": {
            "sent": smtp_sent,
            "connections": batch_connections,
            "emails_per_second": round(smtp_sent / smtp_seconds, 1),
        },
        "smtp_one_connection_each": {
            "sent": single_sent,
            "connections": single_connections,
            "emails_per_second": round(single_sent / single_seconds, 1),
        },
        "status": Campaign.objects.get(pk=campaign.pk).status,
    }
    harness.write_results(
        "campaigns",
        result,
        [
            (
                f"segment count (AND of 3 rules) over {GUESTS:,} guests and "
                f"{data['sale_lines']:,} sale lines: warm p50 / cold",
                f"**{and_result['warm_p50_ms']} ms** / {and_result['cold_ms']} ms "
                f"({and_result['count']:,} guests, {and_result['statements']} statement)",
                "< 1 s, one query",
            ),
            (
                "the AND count's plan: Execution Time (EXPLAIN ANALYZE, median of 3), JIT",
                f"{and_result['plan_execution_ms']} ms, JIT "
                f"{'on' if and_result['plan_jit'] else 'off'}",
                "reported",
            ),
            (
                "the same rules with OR: warm p50 / cold",
                f"**{or_result['warm_p50_ms']} ms** / {or_result['cold_ms']} ms "
                f"({or_result['count']:,} guests)",
                "< 1 s",
            ),
            (
                "the OR count's plan: Execution Time, JIT",
                f"{or_result['plan_execution_ms']} ms, JIT "
                f"{'on' if or_result['plan_jit'] else 'off'}",
                "reported",
            ),
            (
                "CPU of the 12 counts (this process; the rest is PostgreSQL)",
                f"{segment_cpu} s",
                "reported",
            ),
            (
                f"campaign of {queued:,} e-mails queued (audience read + bulk insert)",
                f"**{queue_seconds} s** (CPU {queue_cpu} s)",
                "< 30 s",
            ),
            (
                f"released by the beat at {RATE:,}/min: minute 1, same minute, minute 2",
                ", ".join(str(n) for n in released),
                f"{RATE}, 0, {RATE}",
            ),
            (
                "e-mails one worker sends (render, voucher issue, QR, locmem)",
                f"{result['emails_per_second_one_worker']}/s (CPU {result['send_cpu_seconds']} s "
                f"for {sent})",
                f"≥ {RATE / 60:.0f}/s to keep the rate",
            ),
            (
                f"a batch of {smtp_sent} through SMTP to 127.0.0.1: connections, rate",
                f"**{batch_connections} connection**, "
                f"{result['smtp_batch']['emails_per_second']}/s",
                "1 connection per batch",
            ),
            (
                f"the same {single_sent} e-mails, one connection each (before): connections, rate",
                f"{single_connections} connections, "
                f"{result['smtp_one_connection_each']['emails_per_second']}/s",
                "reported",
            ),
        ],
    )


if __name__ == "__main__":
    main()
