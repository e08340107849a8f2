"""What the time clock tells the apps above it without importing them: a shift closed by a
manager (reporting resolves its forgotten clock-out alert in the same transaction)."""

from django.dispatch import Signal

# sent inside the closing transaction with `shift` (a WorkedShift now closed)
shift_closed = Signal()
