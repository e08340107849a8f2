"""Reads for the printer status screen, always scoped to one property."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from core.models import Property
from devices.models import Printer, PrintJob


def printer_list_with_status(*, property: Property) -> QuerySet[Printer]:
    """The property's printers with their drawer and the status of their last job."""
    last_job = PrintJob.objects.filter(printer=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        Printer.objects.filter(property=property)
        .select_related("cash_drawer")
        .annotate(
            last_job_id=Subquery(last_job.values("pk")[:1]),
            last_job_status=Subquery(last_job.values("status")[:1]),
            last_job_error=Subquery(last_job.values("last_error")[:1]),
            last_job_at=Subquery(last_job.values("created_at")[:1]),
            failed_count=Count("print_jobs", filter=Q(print_jobs__status=PrintJob.Status.FAILED)),
        )
        .order_by("name")
    )


def print_job_failed_list(*, property: Property, limit: int = 50) -> list[PrintJob]:
    return list(
        PrintJob.objects.filter(property=property, status=PrintJob.Status.FAILED)
        .select_related("printer")
        .order_by("-created_at", "-pk")[:limit]
    )


def print_job_recent_list(*, property: Property, limit: int = 20) -> list[PrintJob]:
    return list(
        PrintJob.objects.filter(property=property)
        .select_related("printer")
        .order_by("-created_at", "-pk")[:limit]
    )
