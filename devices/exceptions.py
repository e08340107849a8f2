"""Errors of the devices app."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, InvalidInput


class PrinterUnavailable(Exception):
    """The printer could not be reached or could not print (retryable, never a domain error:
    the sale that asked for the print is already committed)."""


class NoCashDrawer(InvalidInput):
    code = "no_cash_drawer"
    default_message = _("This printer has no cash drawer.")


class PrintJobNotRetryable(Conflict):
    code = "print_job_not_retryable"
    default_message = _("Only a failed print job can be sent again.")


class NotAReceipt(InvalidInput):
    code = "not_a_receipt"
    default_message = _("Only a receipt can be reprinted.")
