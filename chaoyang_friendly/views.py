from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False


def _broker_ok() -> bool:
    from .celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with {"database": "ok", "broker": "ok"} when both answer, else 503."""
    db, broker = _database_ok(), _broker_ok()
    body = {
        "status": "ok" if db and broker else "degraded",
        "database": "ok" if db else "unavailable",
        "broker": "ok" if broker else "unavailable",
        "database_engine": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }
    return JsonResponse(body, status=200 if db and broker else 503)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")
