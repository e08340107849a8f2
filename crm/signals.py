"""Signals crm defines so that the apps above it take part in a guest's GDPR requests
without crm importing them (DESIGN: billing imports crm, never the other way round).

Each is sent with `guest=` inside the request's transaction:
* `erasure_blockers`: a receiver returns a translated reason to refuse the erasure, or None
  (a stay in progress, an open balance);
* `guest_erasing`: a receiver anonymises its own non-fiscal rows about the guest;
* `guest_exporting`: a receiver returns {section name: JSON-able data} for the export.
"""

from django.dispatch import Signal

erasure_blockers = Signal()
guest_erasing = Signal()
guest_exporting = Signal()
