"""Static files in the default (DEBUG) mode: served from the apps' folders with no collectstatic, gzipped
when the browser accepts it, vendored files cached for a day, the project's own revalidated so an edit
shows on the next reload. Before chaoyang_friendly/static_serving.py WhiteNoise sent every file
uncompressed with `max-age=0` (the map page's scripts and styles ≈ 200 KB)."""

import gzip
import os
from typing import Any

import pytest
from django.test import Client

STATIC_SERVING = "chaoyang_friendly.static_serving.StaticFilesMiddleware"


@pytest.fixture
def debug_static(settings, tmp_path):
    """The default mode's static serving (settings.py sets it from DJANGO_DEBUG at import), with its
    compressed copies under a fresh VAR_DIR and one more static folder the test may edit."""
    assert STATIC_SERVING in settings.MIDDLEWARE
    settings.DEBUG = True
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.VAR_DIR = tmp_path / "var"
    editable = tmp_path / "static"
    editable.mkdir()
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, editable]
    return editable


def _get(path: str, **headers: Any):
    response = Client().get(path, **headers)
    return response, response.getvalue()


def test_a_vendored_script_comes_gzipped_and_cached_for_a_day(debug_static):
    plain, plain_body = _get("/static/vendor/chartjs/chart.umd.min.js")
    response, body = _get("/static/vendor/chartjs/chart.umd.min.js", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(body) == plain_body
    assert len(body) < len(plain_body) / 2
    assert int(response["Content-Length"]) == len(body)
    assert response["Cache-Control"] == "max-age=86400, public"
    assert "Content-Encoding" not in plain  # a client that asks for nothing gets the file as it is
    image, _ = _get("/static/favicon-32.png", HTTP_ACCEPT_ENCODING="gzip")
    assert image.status_code == 200 and "Content-Encoding" not in image  # PNG is compressed already


def test_a_package_stylesheet_comes_gzipped_and_cached_for_a_day(debug_static):
    response, body = _get("/static/leaflet/leaflet.css", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert response["Cache-Control"] == "max-age=86400, public"


def test_the_projects_own_file_is_revalidated_and_an_edit_shows_at_once(debug_static):
    css = debug_static / "edited.css"
    css.write_text("body { color: red; }\n" * 100)
    response, body = _get("/static/edited.css", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert response["Cache-Control"] == "max-age=0, public"
    assert gzip.decompress(body).startswith(b"body { color: red; }")
    again, empty = _get("/static/edited.css", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and empty == b""  # a reload costs a round trip, not the file

    css.write_text("body { color: blue; }\n" * 100)
    os.utime(css, ns=(css.stat().st_atime_ns, css.stat().st_mtime_ns + 1_000_000_000))
    response, body = _get("/static/edited.css", HTTP_ACCEPT_ENCODING="gzip")
    assert gzip.decompress(body).startswith(b"body { color: blue; }")
    copies = list((debug_static.parent / "var" / "static-gzip").glob("*.gz"))
    assert len(copies) == 1  # the stale copy is gone


def test_favicon_ico_answers_with_the_static_icon(client):
    """Browsers and WeChat ask for /favicon.ico whatever the page links (it was a 404)."""
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.ico"
    assert "max-age=86400" in response["Cache-Control"]
