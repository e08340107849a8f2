"""Entries written before document seals (version 1) still verify after the upgrade."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from billing.models import JournalEntry
from billing.services.folios import folio_open
from billing.services.journal import hash_of
from billing.services.payments import TenderInput, payments_record
from billing.services.verification import property_verify
from core.models import Role

BEFORE = [("billing", "0012_export_jobs")]


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_a_database_with_version_1_entries_upgrades_and_still_verifies(hotel, staff_of):
    folio = folio_open(property=hotel, holder_name="Jeanne Dupont")
    manager = staff_of(hotel, Role.MANAGER, username="boss")
    migrate(BEFORE)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        Payment = old.get_model("billing", "Payment")
        OldEntry = old.get_model("billing", "JournalEntry")
        OldHead = old.get_model("billing", "JournalHead")
        payment = Payment.objects.create(
            property_id=hotel.pk,
            method="card",
            amount=Decimal("110.00"),
            change=Decimal("0"),
            terminal_reference="TPE-1",
            folio_id=folio.pk,
            business_date=date(2026, 11, 30),
        )
        created = timezone.now().replace(microsecond=0)
        # the version-1 form, spelled out: the entry's own fields, money as 2-dp strings
        fields = {
            "property": hotel.pk,
            "chain": "fiscal",
            "sequence": 1,
            "kind": "payment",
            "code": "",
            "document_type": "billing.folio",
            "document_id": str(folio.pk),
            "document_number": str(folio),
            "business_date": "2026-11-30",
            "gross": "110.00",
            "net": "0.00",
            "vat": {},
            "perpetual_total": "0.00",
            "perpetual_total_abs": "0.00",
            "actor": "boss",
            "terminal": "",
            "payload": {"payments": [["card", "110.00", "TPE-1"]]},
            "created_at": created.isoformat(),
        }
        digest = hash_of("", fields)
        OldEntry.objects.create(
            property_id=hotel.pk,
            chain="fiscal",
            sequence=1,
            kind="payment",
            document_type="billing.folio",
            document_id=str(folio.pk),
            document_number=str(folio),
            business_date=date(2026, 11, 30),
            gross=Decimal("110.00"),
            actor="boss",
            payload=fields["payload"],
            previous_hash="",
            hash=digest,
            created_at=created,
        )
        OldHead.objects.create(
            property_id=hotel.pk, chain="fiscal", last_sequence=1, last_hash=digest
        )
        assert payment.pk
    finally:
        migrate(latest())

    old_entry = JournalEntry.objects.get(property=hotel, chain="fiscal", sequence=1)
    assert (old_entry.version, old_entry.document_hash) == (1, "")
    result = property_verify(property=hotel)
    assert result.ok, [str(p) for p in result.problems]
    assert (result.sealed, result.unsealed) == (0, 1)

    # a new payment after the upgrade is sealed and chained after the old entry
    payments_record(
        property=hotel,
        folio=folio,
        tenders=[TenderInput(method="cash", amount=Decimal("5.00"))],
        actor=manager,
    )
    new_entry = JournalEntry.objects.get(property=hotel, chain="fiscal", sequence=2)
    assert new_entry.version == 2 and new_entry.previous_hash == digest
    result = property_verify(property=hotel)
    assert result.ok, [str(p) for p in result.problems]
    assert (result.sealed, result.unsealed) == (1, 1)

    # the old entry is still protected by its chain
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE billing_journalentry SET gross = 11.00 WHERE id = %s", [old_entry.pk]
        )
        cursor.execute("SET session_replication_role = origin")
    assert "does not match its hash" in str(property_verify(property=hotel).first)
