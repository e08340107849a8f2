"""Run by test_replica.py in its own Django process, whose DATABASE_URL is a throw-away
primary and DATABASE_REPLICA_URL that primary's streaming replica. Prints one JSON line."""

import json
import os
import subprocess
import sys

import django

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402

# response.context and the "testserver" host, as in the test suite
setup_test_environment()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core.models import Role  # noqa: E402
from tests.factories.core import PropertyFactory, make_staff  # noqa: E402
from tests.reporting.month import build_month, expected  # noqa: E402

hotel = PropertyFactory(name="Hôtel Réplique", slug="replique")
month = build_month(hotel, [make_staff(hotel, Role.CASHIER, username="cashier-replica")])
manager = make_staff(hotel, Role.MANAGER, username="manager-replica")
client = Client()
client.force_login(manager)

want = expected(month, month.last, month.last)


def look(*, replica_up: bool) -> dict:
    # capturing a connection opens it: only the primary's when the replica is down
    with CaptureQueriesContext(connections["default"]) as on_primary:
        if replica_up:
            with CaptureQueriesContext(connections["replica"]) as on_replica:
                response = client.get("/reporting/")
            replica_sql = [q["sql"] for q in on_replica.captured_queries]
        else:
            response = client.get("/reporting/")
            replica_sql = []
    return {
        "status": response.status_code,
        "replica_sql": replica_sql,
        "primary_sql": [q["sql"] for q in on_primary.captured_queries],
        "room_nights_sold": int(response.context["data"].room_nights_sold),
        "want_room_nights_sold": int(want["sold"]),
    }


up = look(replica_up=True)
with connections["replica"].cursor() as cursor:
    cursor.execute("SELECT pg_is_in_recovery()")
    up["replica_in_recovery"] = cursor.fetchone()[0]
connections["replica"].close()
# the replica goes down (the test's command stops its server)
subprocess.run(json.loads(os.environ["REPLICA_STOP"]), check=True, capture_output=True)
down = look(replica_up=False)

sys.stdout.write(json.dumps({"up": up, "down": down}) + "\n")
