"""Export jobs read the database, so they run on the `exports` queue, on hosts that have database
access (dispatch workers, which only hold an API token, do not consume it)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from .services import export_files_remove, export_job_run, export_jobs_requeue


@shared_task(bind=True, acks_late=True, name="analytics.export_job_run", queue="exports")
def export_job_run_task(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    export_job_run(job_id=job_id)


@shared_task(bind=True, acks_late=True, name="analytics.export_jobs_requeue", ignore_result=True)
def export_jobs_requeue_task(self) -> list[int]:  # type: ignore[no-untyped-def]
    """Beat (maintenance queue): send again the export jobs the broker lost."""
    return export_jobs_requeue(older_than_seconds=settings.ANALYTICS_EXPORT_REQUEUE_AFTER_SECONDS)


@shared_task(bind=True, acks_late=True, name="analytics.export_files_remove", ignore_result=True)
def export_files_remove_task(self) -> int:  # type: ignore[no-untyped-def]
    """Beat (maintenance queue): delete export files older than the retention period."""
    return export_files_remove(older_than=timedelta(days=settings.ANALYTICS_EXPORT_RETENTION_DAYS))
