"""Signed checkpoints of the journal's heads: what makes a truncated chain visible.

The hash chain shows any change inside it, but whoever can write to the database could
remove the last entries and set the head back: the shorter chain is still a valid chain. At
each closure the head of every chain of the property (last sequence and hash) is signed with
the installation's Ed25519 key, whose private part lives outside the database
(billing.services.signing). The verifier checks each signature with the public key and that
the chain still holds the signed entry: entries missing up to the latest checkpoint are named.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import lock_objects
from billing.models import Closure, JournalCheckpoint, JournalEntry
from billing.services import signing
from billing.services.journal import canonical_text
from core.exceptions import InvalidInput
from core.models import Property


def checkpoint_message(checkpoint: JournalCheckpoint) -> bytes:
    """The signed bytes: the chain, its head and when — canonical JSON, as the entries."""
    return canonical_text(
        {
            "property": checkpoint.property_id,
            "chain": checkpoint.chain,
            "sequence": checkpoint.sequence,
            "hash": checkpoint.hash,
            "signed_at": checkpoint.signed_at.isoformat(),
        }
    ).encode()


def checkpoints_sign(*, property: Property, closure: Closure | None = None) -> list:
    """Sign the head of each of the property's chains, in the caller's transaction.

    Locks: each chain's JournalHead (fiscal, then JET: the order journal_append takes them),
    so the signed head is the last entry at commit. A chain with no entry is skipped.
    Raises InvalidInput when the signing key cannot be read: a closure that cannot sign its
    checkpoint is not done (the caller's transaction rolls back)."""
    try:
        key = signing.signing_key()
    except (OSError, ValueError, TypeError):
        raise InvalidInput(
            _(
                "The fiscal signing key cannot be read (FISCAL_SIGNING_KEY or "
                "FISCAL_SIGNING_KEY_FILE): nothing was closed. Ask your administrator."
            )
        )
    fingerprint = signing.fingerprint(signing.public_key_pem(key))
    signed_at = timezone.now().replace(microsecond=0)
    checkpoints = []
    with transaction.atomic(savepoint=False):
        for chain in (JournalEntry.Chain.FISCAL, JournalEntry.Chain.JET):
            head = lock_objects.journal_head_for_update(property=property, chain=chain)
            if not head.last_sequence:
                continue
            exists = JournalCheckpoint.objects.filter(
                property=property, chain=chain, sequence=head.last_sequence
            ).exists()
            if exists:
                continue
            checkpoint = JournalCheckpoint(
                property=property,
                chain=chain,
                sequence=head.last_sequence,
                hash=head.last_hash,
                closure=closure,
                signed_at=signed_at,
                key_fingerprint=fingerprint,
            )
            checkpoint.signature = signing.sign(checkpoint_message(checkpoint), key).decode()
            checkpoint.save(force_insert=True)
            checkpoints.append(checkpoint)
    return checkpoints


def checkpoint_valid(checkpoint: JournalCheckpoint, public_pem: bytes) -> bool:
    return signing.verify(checkpoint_message(checkpoint), checkpoint.signature.encode(), public_pem)
