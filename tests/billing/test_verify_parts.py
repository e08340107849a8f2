"""A long fiscal chain is verified in parts by child processes (one per core), then stitched:
the parts must find exactly what one walk finds, at their boundaries too."""

import pytest
from django.db import connection

from billing.models import JournalEntry
from billing.services.verification import _parts, property_verify
from tests.billing.test_tamper_evidence import ATTACKS, books, fiscal, superuser  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_parts(settings):
    """Parts from the first entry on (a real installation waits for 100,000)."""
    settings.VERIFY_PARALLEL_MIN_ENTRIES = 1


def _summary(result):
    return result.ok, dict(result.entries), result.sealed, result.unsigned, result.checkpoint


@pytest.mark.parametrize("processes", [2, 3])
def test_the_parts_find_what_one_walk_finds(books, hotel, in_parts, processes):  # noqa: F811
    parts = _parts(hotel, processes)
    assert len(parts) == processes and parts[-1][1] is None
    # the day's closure is in a later part than the sales it totals: the part adds up what
    # the entries before it hold
    closure = books["closure"].journal_entry.sequence
    assert closure >= parts[1][0]
    whole = property_verify(property=hotel, processes=1)
    split = property_verify(property=hotel, processes=processes)
    assert whole.ok, [str(p) for p in whole.problems]
    assert _summary(split) == _summary(whole)
    assert split.entries["fiscal"] == len(fiscal(hotel))


# one per kind of finding: a document in the first part, a document removed from the last,
# a rewritten entry (the link after it breaks), a closure (totalled across parts)
@pytest.mark.parametrize(
    "attack",
    ["ticket line price", "delete the last ticket", "journal gross and its hash", "closure gross"],
)
def test_each_attack_is_named_by_the_parts(books, hotel, in_parts, attack):  # noqa: F811
    _, document = ATTACKS[attack](books, hotel)
    split = property_verify(property=hotel, processes=2)
    problems = [str(p) for p in split.problems]
    assert not split.ok
    assert any(document in p for p in problems), problems


def test_an_entry_missing_at_a_boundary_is_named(books, hotel, in_parts):  # noqa: F811
    parts = _parts(hotel, 2)
    boundary = parts[0][1]  # the last entry of the first part
    entry = JournalEntry.objects.get(property=hotel, chain="fiscal", sequence=boundary)
    superuser("DELETE FROM billing_journalentry WHERE id = %s", [entry.pk])
    split = property_verify(property=hotel, processes=2)
    assert not split.ok
    assert f"entry fiscal #{boundary} is missing" in str(split.first)


def test_inside_a_transaction_the_walk_stays_in_this_process(hotel, in_parts):
    """Child processes cannot see uncommitted rows: in a transaction there is one part."""
    from django.db import transaction

    with transaction.atomic():
        assert connection.in_atomic_block
        assert _parts(hotel, 4) == [(1, None)]


def test_a_part_that_dies_falls_back_to_one_walk(books, hotel, in_parts, monkeypatch, caplog):  # noqa: F811
    from billing.services import verification

    broken = {**verification._child_environment(), "DJANGO_SETTINGS_MODULE": "no.such.settings"}
    monkeypatch.setattr(verification, "_child_environment", lambda: broken)
    result = property_verify(property=hotel, processes=2)
    assert result.ok and result.entries["fiscal"] == len(fiscal(hotel))
    assert "one walk instead" in caplog.text
