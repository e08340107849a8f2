"""The hand-written statements a sale runs (issue 28): capacity, journal head, order id and
the idempotent answer, each one statement. Run on PostgreSQL here and on SQLite by
test_sale_on_sqlite.py."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import JournalEntry, JournalHead
from billing.services.journal import FISCAL, journal_verify
from core.idempotency import idempotency_claim, idempotency_result, idempotency_store
from inventory.exceptions import SoldOut
from inventory.models import CapacityAllocation, CapacityBucket
from pos.services.checkout import order_checkout
from tests.pos.helpers import cash, line, snapshot

pytestmark = pytest.mark.django_db


def _sell(hotel, terminal, cashier, lines, **kw):
    return order_checkout(
        property=hotel,
        terminal=terminal,
        actor=cashier,
        lines=lines,
        tenders=cash(hotel, lines),
        **kw,
    )


def test_two_pools_are_taken_in_one_statement_and_named_by_the_order(
    hotel, catalog, product, terminal, cashier
):
    day = hotel.business_date()
    lines = [line(product("panier-gourmand"), "2"), line(product("pass-piscine"), start=day)]
    _sell(hotel, terminal, cashier, lines)  # the day's first sale creates the pass's bucket
    with CaptureQueriesContext(connection) as captured:
        order = _sell(hotel, terminal, cashier, lines)
    updates = [
        q["sql"]
        for q in captured.captured_queries
        if "inventory_capacitybucket" in q["sql"] and q["sql"].lstrip().startswith(("WITH", "UP"))
    ]
    assert len(updates) == 1  # both pools, one UPDATE … RETURNING
    allocations = CapacityAllocation.objects.filter(reference=f"pos.order:{order.pk}")
    assert sorted(a.quantity for a in allocations) == [1, 2]
    sold = CapacityBucket.objects.filter(sold__gt=0).values_list("sold", flat=True)
    assert sorted(sold) == [2, 4]


def test_a_short_pool_refuses_the_sale_and_gives_the_other_back(
    hotel, catalog, product, terminal, cashier
):
    day = hotel.business_date()
    _sell(hotel, terminal, cashier, [line(product("pass-piscine"), start=day)])
    _sell(hotel, terminal, cashier, [line(product("panier-gourmand"), "11")])
    before = snapshot()
    lines = [line(product("pass-piscine"), start=day), line(product("panier-gourmand"), "2")]
    with pytest.raises(SoldOut) as refused:
        _sell(hotel, terminal, cashier, lines)
    # the same clear answer as before: which pool, how many are left
    assert "sold out" in str(refused.value.message) and "(1 left)" in str(refused.value.message)
    assert refused.value.extra["available"] == 1 and refused.value.extra["requested"] == 2
    assert snapshot() == before  # the pass taken by the same statement is back


def test_the_journal_head_names_its_last_entry_and_the_chain_verifies(
    hotel, catalog, product, terminal, cashier
):
    for _ in range(3):
        _sell(hotel, terminal, cashier, [line(product("cafe"))])
    head = JournalHead.objects.get(property=hotel, chain=FISCAL)
    last = JournalEntry.objects.filter(property=hotel, chain=FISCAL).order_by("sequence").last()
    assert (head.last_sequence, head.last_hash) == (last.sequence, last.hash)
    assert head.perpetual_total == Decimal("7.50") == last.perpetual_total
    result = journal_verify(property=hotel, chain=FISCAL)
    assert result.ok and result.checked == 3


def test_a_replay_returns_the_order_written_once(hotel, catalog, product, terminal, cashier):
    lines = [line(product("panier-gourmand"))]
    first = _sell(hotel, terminal, cashier, lines, client_key="till-1:sale-1")
    before = snapshot()
    again = _sell(hotel, terminal, cashier, lines, client_key="till-1:sale-1")
    assert again.pk == first.pk and snapshot() == before
    assert CapacityAllocation.objects.get().reference == f"pos.order:{first.pk}"
    # the next sale's order takes the next id
    assert _sell(hotel, terminal, cashier, lines).pk > first.pk


def test_the_idempotent_answer_is_kept_and_read_back(db):
    record = idempotency_claim(scope="test:1", key="k-1", fingerprint="f")
    assert idempotency_claim(scope="test:1", key="k-1") is None
    idempotency_store(record_id=record, response={"id": 7, "total": "12.50", "lines": [1, 2]})
    assert idempotency_result(scope="test:1", key="k-1") == {
        "id": 7,
        "total": "12.50",
        "lines": [1, 2],
    }
