"""Error pages: the rider layout in the rider's language with the way back; JSON under /api/; the admin's
look under /admin/. Before chaoyang_friendly/error_views.py these were Django's bare English pages
("Not Found", "403 Forbidden", "Server Error (500)", "CSRF verification failed") with no viewport, and a
django-ratelimit block was a 403; an unknown /api/ path answered HTML."""

import pytest
from django.test import Client

pytestmark = pytest.mark.urls("tests.core.error_urls")
VIEWPORT = '<meta name="viewport" content="width=device-width'


def assert_rider_error_page(response, *, status: int, lang: str, texts: list[str], links: list[str]) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert f'<html lang="{lang}">' in html
    assert VIEWPORT in html
    assert "css/portal.css" in html
    assert 'class="topbar"' in html
    for text in texts:
        assert text in html
    for link in links:
        assert f'href="{link}"' in html
    return html


@pytest.mark.django_db
def test_a_missing_page_is_the_chinese_404_with_the_way_home_and_back(client):
    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/stations/?lng=116.47")
    html = assert_rider_error_page(
        response,
        status=404,
        lang="zh-hans",
        texts=["找不到这个页面"],
        links=["/", "http://testserver/stations/?lng=116.47"],
    )
    assert 'id="error-back"' in html


@pytest.mark.django_db
def test_the_way_back_never_leads_to_another_site(client):
    response = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/phish")
    html = assert_rider_error_page(response, status=404, lang="zh-hans", texts=["找不到这个页面"], links=["/"])
    assert "evil.example" not in html and 'id="error-back"' not in html


@pytest.mark.django_db
def test_a_missing_page_speaks_english_to_an_english_browser(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en", HTTP_REFERER="http://testserver/")
    html = assert_rider_error_page(response, status=404, lang="en", texts=["Page not found", "Go back"], links=["/"])
    assert "找不到" not in html


@pytest.mark.django_db
def test_a_qr_code_that_is_no_stations_says_so_and_links_the_station_finder(client, streets):
    response = client.get("/s/NOT-A-STATION")
    assert_rider_error_page(
        response, status=404, lang="zh-hans", texts=["这不是驿站的二维码", "NOT-A-STATION"], links=["/stations/", "/"]
    )


@pytest.mark.django_db
def test_a_forbidden_page_is_the_chinese_403_offering_login_to_an_anonymous_rider(client):
    response = client.get("/test-errors/forbidden/")
    assert_rider_error_page(
        response,
        status=403,
        lang="zh-hans",
        texts=["没有权限"],
        links=["/", "/accounts/login/?next=/test-errors/forbidden/"],
    )


@pytest.mark.django_db
def test_a_ratelimited_page_is_429_not_403(client):
    assert client.get("/test-errors/limited/").status_code == 200
    response = client.get("/test-errors/limited/")
    assert_rider_error_page(response, status=429, lang="zh-hans", texts=["操作太频繁了", "稍等几分钟"], links=["/"])


@pytest.mark.django_db
def test_a_csrf_failure_is_the_chinese_expired_page(client):
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"action": "send", "phone": "13900000001"})
    assert_rider_error_page(response, status=403, lang="zh-hans", texts=["页面已过期"], links=["/"])


def test_the_500_page_needs_no_database_and_no_session():
    """No `db` fixture: any query (a session or user lookup, a context processor) would raise here."""
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a-session-the-page-must-not-look-up"
    response = client.get("/test-errors/broken/")
    html = assert_rider_error_page(response, status=500, lang="zh-hans", texts=["服务器出错了"], links=["/"])
    assert "/accounts/login/" not in html  # no user, so no nav that would guess one


def test_the_500_page_speaks_english():
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/broken/", HTTP_ACCEPT_LANGUAGE="en")
    assert_rider_error_page(response, status=500, lang="en", texts=["Server error", "Friendly Chaoyang"], links=["/"])


@pytest.mark.django_db
def test_an_unknown_api_path_answers_json_not_html(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}


def test_a_server_error_under_api_answers_json():
    response = Client(raise_request_exception=False).get("/api/test-errors/broken/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_a_ratelimited_api_view_answers_429_json(client):
    response = client.get("/api/test-errors/limited/")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "请求过于频繁，请稍后再试。"}


@pytest.mark.django_db
def test_an_admin_404_keeps_the_admin_look(admin_client_for, staff_a):
    response = admin_client_for(staff_a).get("/admin/no-such-model/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'id="site-name"' in html and "友好朝阳 管理后台" in html  # the admin's header
    assert 'class="topbar"' not in html
    assert 'href="/admin/"' in html


@pytest.mark.django_db
def test_an_admin_403_keeps_the_admin_look(admin_client_for, staff_a):
    """Street staff may not see the user accounts (ROLE_PERMISSIONS)."""
    response = admin_client_for(staff_a).get("/admin/accounts/user/")
    html = response.content.decode()
    assert response.status_code == 403
    assert 'id="site-name"' in html and "没有权限" in html
    assert 'class="topbar"' not in html
