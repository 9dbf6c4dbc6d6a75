"""Writes of the analytics app: export jobs, their downloads and the removal of old files."""

import tempfile
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.sms import send_sms
from chaoyang_friendly.broker import enqueue
from chaoyang_friendly.csvexport import csv_lines, export_log_start, user_may_unmask
from chaoyang_friendly.errors import NotFoundError
from chaoyang_friendly.models import ExportLog

from .filters import parse_filters
from .models import ExportJob
from .registry import EXPORTS

PROGRESS_EVERY = 5000


def job_progress_key(job_id: int) -> str:
    return f"analytics:export-job:{job_id}:rows"


def export_job_progress(job: ExportJob) -> int:
    """Rows written so far: live from the cache while running, from the row once done."""
    if job.status == ExportJob.Status.RUNNING:
        return int(cache.get(job_progress_key(job.pk)) or 0)
    return job.rows_written


def export_definition(name: str) -> Any:
    try:
        return EXPORTS[name]
    except KeyError:
        raise NotFoundError(_("没有名为 %(name)s 的导出。") % {"name": name}) from None


@transaction.atomic
def export_job_create(*, user: Any, name: str, params: dict[str, str]) -> ExportJob:
    """Validate the request now (bad filters fail here, not in the worker) and enqueue it after commit."""
    export_definition(name)
    parse_filters(params, user)
    job = ExportJob.objects.create(user=user, name=name, params=params)
    from .tasks import export_job_run_task

    # Bounded: a broker that is away must not hold the request; the job then stays `queued` until
    # export_jobs_requeue (beat) sends it again.
    transaction.on_commit(lambda: enqueue(export_job_run_task, args=[job.pk]))
    return job


def export_jobs_requeue(*, older_than_seconds: float, limit: int = 100) -> list[int]:
    """Enqueue again the jobs still queued after `older_than_seconds` (the broker lost or never took
    them); returns their ids. Running a job twice is harmless: export_job_run claims it first."""
    from .tasks import export_job_run_task

    before = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        ExportJob.objects.filter(status=ExportJob.Status.QUEUED, created_at__lt=before)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for job_id in ids:
        enqueue(export_job_run_task, args=[job_id])
    return ids


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Run a queued job once (claimed with a conditional UPDATE, so a redelivered task does nothing)."""
    if not ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(status=ExportJob.Status.RUNNING):
        return None
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    try:
        definition = export_definition(job.name)
        filters = parse_filters(job.params, job.user)
        spec = definition.build(user=job.user, filters=filters)
        unmask = user_may_unmask(job.user)
        log = export_log_start(user=job.user, spec=spec, channel="job", unmask=unmask)
        with tempfile.TemporaryFile("w+b") as handle:
            lines, reported = -1, 0  # the header line is not a row
            for chunk in csv_lines(spec, lang=filters.lang, unmask=unmask, log=log):
                data = chunk if isinstance(chunk, bytes) else chunk.encode("utf-8")
                handle.write(data)
                lines += data.count(b"\n")  # approximate while streaming; the log has the exact count
                if lines - reported >= PROGRESS_EVERY:
                    # Progress goes to the cache: the database connection is busy streaming the COPY.
                    reported = lines
                    cache.set(job_progress_key(job.pk), lines, timeout=24 * 3600)
            handle.seek(0)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            job.file.save(f"{job.name}-{stamp}.csv", File(handle), save=False)
        log.refresh_from_db()
        job.rows_written = log.row_count or 0
        job.personal_data = unmask
        job.status = ExportJob.Status.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["file", "rows_written", "personal_data", "status", "finished_at", "updated_at"])
    except Exception as exc:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    if job.user.phone:
        send_sms(
            job.user.phone,
            _("【友好朝阳】您申请的导出“%(name)s”已生成，共 %(n)d 行，请登录统计页面下载。")
            % {"name": job.name, "n": job.rows_written},
        )
    return job


def export_job_file_open(*, job: ExportJob, user: Any) -> File:
    """Open a finished job's file for its owner (the caller has checked ownership) and log the download
    in ExportLog, as every other export channel is logged. Raises FileNotFoundError if the file is gone."""
    handle = job.file.open("rb")
    ExportLog.objects.create(
        user=user,
        name=job.name,
        filters={**job.params, "job": job.pk},
        channel="job-download",
        personal_data=job.personal_data,
        row_count=job.rows_written,
        finished_at=timezone.now(),
    )
    return handle


def export_files_remove(*, older_than: timedelta, limit: int = 500) -> int:
    """Delete the files of jobs finished more than `older_than` ago and mark the jobs expired; returns how
    many. The file goes first: a run cut short leaves the job to the next run, never a file without a job."""
    before = timezone.now() - older_than
    jobs = list(
        ExportJob.objects.filter(status=ExportJob.Status.DONE, finished_at__lt=before)
        .exclude(file="")
        .order_by("finished_at")[:limit]
    )
    for job in jobs:
        job.file.storage.delete(job.file.name)
        ExportJob.objects.filter(pk=job.pk, file=job.file.name).update(
            file="", status=ExportJob.Status.EXPIRED, updated_at=timezone.now()
        )
    return len(jobs)
