"""Signals between apps of one layer, which may not import each other (docs/architecture.md)."""

from django.dispatch import Signal

# A receipt was printed again as a numbered DUPLICATA, inside the reprint's transaction.
# kwargs: property, ticket_number ("T000005"), copy (1, 2…), actor, printer (its name).
# billing journals it (NF525: every duplicate is recorded).
receipt_reprinted = Signal()
