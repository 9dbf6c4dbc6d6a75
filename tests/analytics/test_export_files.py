"""Export-job files are private (issue 14, finding 2): not under MEDIA_ROOT or MEDIA_URL, named with a random
token, downloaded only by their owner (logged), and deleted after the retention period."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accounts.models import RiderProfile, Role, User
from analytics.models import ExportJob
from analytics.services import export_files_remove, export_job_run
from analytics.tasks import export_files_remove_task
from chaoyang_friendly.models import ExportLog


@pytest.fixture
def done_job(streets, analyst) -> ExportJob:
    rider = User.objects.create_user("13600000001", role=Role.RIDER)
    RiderProfile.objects.create(user=rider, work_street=streets["SJ"])
    job = ExportJob.objects.create(user=analyst, name="riders", params={})
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    return job


def test_the_file_is_outside_media_root_under_an_unguessable_name(done_job, client):
    path = Path(done_job.file.path)
    assert path.is_file()
    assert Path(settings.PRIVATE_MEDIA_ROOT) in path.parents
    assert Path(settings.MEDIA_ROOT) not in path.parents
    token = path.name.split("-", 1)[0]
    assert len(token) == 32 and int(token, 16) >= 0  # 128 random bits
    with pytest.raises(ValueError):
        done_job.file.url  # noqa: B018 - private storage has no URL
    assert client.get(settings.MEDIA_URL + done_job.file.name).status_code == 404


def test_another_staff_member_even_an_analyst_gets_404(done_job, streets, staff_a, admin_client_for):
    other_analyst = User.objects.create_user(
        "13800000009", password="x", role=Role.DISTRICT_STAFF, is_staff=True, name="另一位分析员"
    )
    url = f"/analytics/jobs/{done_job.pk}/download/"
    assert admin_client_for(other_analyst).get(url).status_code == 404
    assert admin_client_for(staff_a).get(url).status_code == 404
    assert not ExportLog.objects.filter(channel="job-download").exists()


def test_the_owner_downloads_and_the_download_is_logged(done_job, analyst, admin_client_for):
    response = admin_client_for(analyst).get(f"/analytics/jobs/{done_job.pk}/download/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    assert 'filename="riders-' in disposition and done_job.file.name.rsplit("/", 1)[-1][:32] not in disposition
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")
    log = ExportLog.objects.get(channel="job-download")
    assert (log.user, log.name, log.row_count, log.filters["job"]) == (analyst, "riders", 1, done_job.pk)


def test_retention_removes_old_files_and_marks_the_job(done_job, settings):
    path = Path(done_job.file.path)
    assert export_files_remove(older_than=timedelta(days=7)) == 0  # too young
    assert path.exists()
    with time_machine.travel(timezone.now() + timedelta(days=settings.ANALYTICS_EXPORT_RETENTION_DAYS, hours=1)):
        assert export_files_remove_task.run() == 1
        assert export_files_remove_task.run() == 0  # running twice is harmless
    assert not path.exists()
    done_job.refresh_from_db()
    assert done_job.status == ExportJob.Status.EXPIRED and not done_job.file
    assert settings.CELERY_BEAT_SCHEDULE["analytics-export-files-remove"]["task"] == "analytics.export_files_remove"
    assert settings.CELERY_TASK_ROUTES["analytics.export_files_remove"] == {"queue": "maintenance"}
