"""Photo files of a submission that rolls back are removed; an hourly sweep removes what slipped through."""

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, IntegrityError, connection
from django.db.models import Max

from accounts.models import User
from reports import services
from reports.models import Report, ReportPhoto
from reports.photos import photos_orphans_remove
from reports.services import report_submit

from .factories import ReportFactory, jpeg_upload

DH = (116.4690, 40.0130)


def _files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "reports"
    return sorted(p for p in root.rglob("*") if p.is_file())


def _submit(rider, **extra) -> Report:
    return report_submit(
        reporter=rider,
        category_code="manhole",
        lng=DH[0],
        lat=DH[1],
        photos=[jpeg_upload("a.jpg"), jpeg_upload("b.jpg")],
        **extra,
    )


def _patch_event_add(monkeypatch, after):
    """Let event_add write its event, then run `after(report)` inside the same transaction."""
    event_add = services.event_add
    stored = []

    def event_add_then(**kwargs):
        stored.extend(_files(django_settings))
        event = event_add(**kwargs)
        after(kwargs["report"])
        return event

    monkeypatch.setattr(services, "event_add", event_add_then)
    return stored


def test_a_submission_that_fails_after_storing_its_photos_leaves_no_files(rider, categories, settings, monkeypatch):
    def break_a_constraint(report):  # a duplicate needs an original (reports_duplicate_has_original)
        Report.objects.filter(pk=report.pk).update(status=Report.Status.DUPLICATE)

    stored = _patch_event_add(monkeypatch, break_a_constraint)
    with pytest.raises(IntegrityError):
        _submit(rider)
    assert len(stored) == 4  # two photos and their thumbnails were on disk inside the transaction
    assert _files(settings) == []
    assert not Report.objects.exists() and not ReportPhoto.objects.exists()
    monkeypatch.undo()
    _submit(rider)  # and the next submission stores its files as usual
    assert len(_files(settings)) == 4


@pytest.mark.django_db(transaction=True)
def test_a_commit_that_fails_leaves_no_files(rider, categories, settings, monkeypatch):
    def dangling_foreign_key(report):  # foreign keys are checked at COMMIT (DEFERRABLE INITIALLY DEFERRED)
        missing = (User.objects.aggregate(m=Max("pk"))["m"] or 0) + 1000
        Report.objects.filter(pk=report.pk).update(reporter_id=missing)

    stored = _patch_event_add(monkeypatch, dangling_foreign_key)
    with pytest.raises(IntegrityError):
        _submit(rider)
    assert len(stored) == 4
    assert _files(settings) == []
    assert not Report.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_submission_whose_database_connection_is_killed_before_commit_leaves_no_files(
    rider, categories, settings, monkeypatch
):
    def kill_my_connection(report):
        pid = connection.connection.info.backend_pid

        def kill() -> None:  # another connection, as an operator (or a failover) would
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            finally:
                connection.close()

        killer = threading.Thread(target=kill)
        killer.start()
        killer.join(timeout=10)
        time.sleep(0.2)

    stored = _patch_event_add(monkeypatch, kill_my_connection)
    with pytest.raises(DatabaseError):
        _submit(rider)
    connection.close()
    assert len(stored) == 4
    assert _files(settings) == []
    assert not Report.objects.exists()


def test_a_team_photo_of_a_step_that_rolls_back_leaves_no_files(
    streets, categories, teams, rider, team_token, api, settings, monkeypatch
):
    report = ReportFactory(
        reporter=rider, street=streets["DH"], category=categories["manhole"], status="on_site", team=teams["DH"]
    )

    def break_a_constraint(report):
        Report.objects.filter(pk=report.pk).update(status=Report.Status.DUPLICATE)

    stored = _patch_event_add(monkeypatch, break_a_constraint)
    client = api(team_token)
    with pytest.raises(IntegrityError):
        client.post(f"/api/v1/reports/{report.pk}/events/", {"kind": "resolve", "photo": jpeg_upload()})
    assert len(stored) == 2
    assert _files(settings) == []


def _file(settings, name: str, age: timedelta) -> Path:
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8 not really a jpeg")
    then = time.time() - age.total_seconds()
    os.utime(path, (then, then))
    return path


def test_the_orphan_sweep_removes_only_old_unreferenced_report_files(rider, categories, settings):
    report = _submit(rider)
    photo = report.photos.first()
    old = timedelta(hours=3)
    kept_image = _file(settings, photo.image.name, old)  # referenced (rewritten old)
    kept_thumb = _file(settings, photo.thumbnail.name, old)
    orphan = _file(settings, "reports/2026/11/orphan.jpg", old)
    orphan_t = _file(settings, "reports/2026/11/orphan_t.jpg", old)
    young = _file(settings, "reports/2026/12/young.jpg", timedelta(minutes=10))
    elsewhere = _file(settings, "stations/2026/11/old.jpg", old)  # not a report photo

    assert photos_orphans_remove(older_than=timedelta(hours=1), limit=1) == 1  # the limit holds
    assert photos_orphans_remove(older_than=timedelta(hours=1), limit=100) == 1
    assert not orphan.exists() and not orphan_t.exists()
    assert kept_image.exists() and kept_thumb.exists() and young.exists() and elsewhere.exists()
    assert len(_files(settings)) == 4 + 1  # the report's four files and the young one
    # Never younger than an hour, whatever the caller asks: the file may belong to an open transaction.
    assert photos_orphans_remove(older_than=timedelta(0), limit=100) == 0 and young.exists()


def test_the_orphan_sweep_runs_hourly_on_the_maintenance_queue(settings, rider, categories):
    from celery import current_app

    from reports.tasks import photos_orphans_remove_task

    entry = settings.CELERY_BEAT_SCHEDULE["reports-photos-orphans"]
    assert entry == {"task": "reports.photos_orphans_remove", "schedule": 3600.0}
    assert "reports-sweep" in settings.CELERY_BEAT_SCHEDULE
    assert photos_orphans_remove_task.name in current_app.tasks
    route = current_app.amqp.router.route({}, "reports.photos_orphans_remove")
    assert route["queue"].name == "maintenance"  # it needs the database: never the dispatch queue
    _file(settings, "reports/2026/11/orphan.jpg", timedelta(hours=2))
    assert photos_orphans_remove_task.apply().get() == 1
