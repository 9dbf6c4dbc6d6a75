import csv
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import RiderProfile, Role, User
from accounts.sms import read_sms_files
from analytics.models import ExportJob
from analytics.services import export_job_create, export_job_run
from chaoyang_friendly.errors import ApplicationError

ROOT = Path(__file__).resolve().parents[2]


def _riders(streets, n: int) -> None:
    for i in range(n):
        user = User.objects.create_user(f"1360000{i:04d}", role=Role.RIDER)
        RiderProfile.objects.create(user=user, work_street=streets["SJ"])


def test_a_job_writes_the_file_to_storage_and_tells_the_user(streets, analyst, settings, monkeypatch):
    import analytics.services as services

    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    _riders(streets, 5)
    job = ExportJob.objects.create(user=analyst, name="riders", params={"street": "SJ"})
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.rows_written == 5
    with job.file.open("rb") as handle:
        text = handle.read().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 6 and rows[1][1].count("*") == 4
    assert "导出" in read_sms_files(analyst.phone)[-1]["text"]
    from django.core.cache import cache

    from analytics.services import job_progress_key

    assert cache.get(job_progress_key(job.pk)) >= 2  # progress was reported while streaming
    # a redelivered task does nothing
    assert export_job_run(job_id=job.pk) is None


def test_a_job_with_bad_filters_is_refused_before_it_is_queued(streets, analyst):
    with pytest.raises(ApplicationError):
        export_job_create(user=analyst, name="riders", params={"date_from": "nope"})
    assert not ExportJob.objects.exists()


def test_only_the_owner_downloads_a_job(streets, analyst, staff_a, admin_client_for):
    _riders(streets, 1)
    job = ExportJob.objects.create(user=analyst, name="riders", params={})
    export_job_run(job_id=job.pk)
    assert admin_client_for(staff_a).get(f"/analytics/jobs/{job.pk}/download/").status_code == 404
    response = admin_client_for(analyst).get(f"/analytics/jobs/{job.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_export_job(streets, analyst, tmp_path):
    """A Celery worker process on Redis consumes the `exports` queue and writes the file."""
    _riders(streets, 3)
    db_name = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{db_name}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "SMS_BACKEND": "file",
        "SMS_FILE_DIR": str(tmp_path / "sms"),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "chaoyang_friendly",
            "worker",
            "-Q",
            "exports",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        job = export_job_create(user=analyst, name="riders", params={})
        deadline = time.monotonic() + 120  # a worker process starting on a busy 2-core machine
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status in {ExportJob.Status.DONE, ExportJob.Status.FAILED}:
                break
            time.sleep(0.2)
        assert job.status == ExportJob.Status.DONE, job.error
        assert job.rows_written == 3
        assert (tmp_path / "private" / job.file.name).exists()
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def test_the_analyst_page_lists_every_export_and_queues_a_job(streets, analyst, staff_a, admin_client_for):
    from analytics.registry import EXPORTS

    page = admin_client_for(analyst).get("/analytics/")
    assert page.status_code == 200
    html = page.content.decode()
    assert all(f"/analytics/exports/{name}.csv" in html for name in EXPORTS)
    response = admin_client_for(analyst).post("/analytics/exports/riders/job/", {"street": "SJ", "date_from": ""})
    assert response.status_code == 302
    assert ExportJob.objects.get().params["street"] == "SJ"
    # a street sees only its own street in the filter
    html = admin_client_for(staff_a).get("/analytics/").content.decode()
    assert "双井街道" in html and "三里屯街道" not in html


def test_a_job_the_broker_lost_is_sent_again_by_beat_and_runs_once(streets, analyst, monkeypatch):
    """A job created while the broker was away stays queued; the maintenance sweep enqueues it again."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from analytics import services
    from analytics.tasks import export_job_run_task

    sent: list[list[int]] = []
    monkeypatch.setattr(services, "enqueue", lambda task, args: sent.append(list(args)) or False)
    job = export_job_create(user=analyst, name="riders", params={})
    assert services.export_jobs_requeue(older_than_seconds=120) == []  # too young: maybe still on its way
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert services.export_jobs_requeue(older_than_seconds=120) == [job.pk]
    assert sent == [[job.pk]]
    export_job_run_task.run(job.pk)
    export_job_run_task.run(job.pk)  # the broker delivered both copies: the second does nothing
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert services.export_jobs_requeue(older_than_seconds=120) == []
