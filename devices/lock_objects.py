"""Every row lock of the devices app, in one place (evaluated, in a fixed order)."""

from devices.models import PrintJob


def print_job_lock(*, print_job_id: int) -> PrintJob:
    """Lock an original receipt job so two reprints never get the same reprint number."""
    return PrintJob.objects.select_for_update().get(pk=print_job_id)
