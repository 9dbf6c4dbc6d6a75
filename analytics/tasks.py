"""Export jobs read the database, so they run on the `exports` queue, on hosts that have database
access (dispatch workers, which only hold an API token, do not consume it)."""

from celery import shared_task

from .services import export_job_run


@shared_task(bind=True, acks_late=True, name="analytics.export_job_run", queue="exports")
def export_job_run_task(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    export_job_run(job_id=job_id)
