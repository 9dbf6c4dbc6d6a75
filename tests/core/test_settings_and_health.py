import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-for-the-check-deploy-test-0123456789",
    "DJANGO_ALLOWED_HOSTS": "portal.example.cn",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") or k == "DJANGO_TEST_DB_NAME"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_in_production_mode():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_the_default_secret_key():
    result = _manage("check", env={"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "x"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_with_no_environment_the_portal_is_embedded(tmp_path):
    code = (
        "import django, json; from django.conf import settings; django.setup();"
        "print(json.dumps({'db': settings.DATABASES['default']['ENGINE'], 'name': str(settings.DATABASES['default']['NAME']),"
        "'broker': settings.CELERY_BROKER_URL, 'poll': settings.CELERY_BROKER_TRANSPORT_OPTIONS.get('polling_interval'),"
        "'sms': settings.SMS_BACKEND, 'lang': settings.LANGUAGE_CODE, 'tz': settings.TIME_ZONE, 'debug': settings.DEBUG}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SMS_BACKEND"}}
    env.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="chaoyang_friendly.settings")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["db"] == "django.contrib.gis.db.backends.spatialite"
    assert found["name"] == str(tmp_path / "portal.sqlite3")
    assert found["broker"] == "filesystem://"
    assert found["poll"] <= 0.05
    assert (found["sms"], found["lang"], found["tz"]) == ("console", "zh-hans", "Asia/Shanghai")


def test_the_embedded_database_migrates_on_spatialite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "portal.sqlite3").stat().st_size > 0


def test_healthz_reports_database_broker_and_worker(db, client):
    from chaoyang_friendly.celery import heartbeat_write

    heartbeat_write("celery@test-host", ["dispatch", "maintenance"])
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] == "ok"
    assert response.json()["worker"] == "ok"
    assert response.json()["database_engine"] == "postgis"


def test_healthz_is_503_when_the_broker_is_down(db, client, settings):
    from chaoyang_friendly.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["database"] == "ok"


def test_api_schema_and_docs_are_served(db, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert "/api/v1/auth/login/" in paths and "/api/v1/streets/locate/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/login/"])
def test_public_pages_render_in_chinese(db, client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "友好朝阳" in response.content.decode()


def test_create_service_token_prints_a_working_token(streets, api):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_service_token", "--name", "worker-1", "--role", "dispatcher", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("cyf_")
    me = api(token).get("/api/v1/auth/me/")
    assert me.status_code == 200 and me.json()["role"] == "dispatcher"
    assert api("cyf_wrong").get("/api/v1/auth/me/").status_code == 401


def test_load_demo_is_idempotent(streets, settings, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from accounts.models import User

    settings.VAR_DIR = tmp_path
    call_command("load_demo", "--small", stdout=StringIO())
    counts = User.objects.count()
    call_command("load_demo", "--small", stdout=StringIO())
    assert User.objects.count() == counts
    roles = set(User.objects.values_list("role", flat=True))
    assert roles >= {"rider", "street_staff", "district_staff", "dispatcher"}
    staff = User.objects.get(phone="13800000002")
    assert staff.street.code == "SJ" and staff.is_staff


def test_a_second_load_demo_keeps_staff_passwords_and_sessions(streets, settings, tmp_path, monkeypatch):
    """make run loads the demo on every start: a clerk's password (and so their session) must survive."""
    from io import StringIO

    from django.core.management import call_command

    from accounts.models import User

    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-Pass-2026!")
    call_command("load_demo", "--small", stdout=StringIO())
    before = User.objects.get(phone="13800000002").password
    call_command("load_demo", "--small", stdout=StringIO())
    assert User.objects.get(phone="13800000002").password == before  # same salt: sessions stay valid
    monkeypatch.setenv("DEMO_PASSWORD", "Another-Pass-2026!")
    call_command("load_demo", "--small", stdout=StringIO())
    assert User.objects.get(phone="13800000002").check_password("Another-Pass-2026!")
