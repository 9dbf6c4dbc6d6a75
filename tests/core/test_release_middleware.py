"""ReleaseApiResponseMiddleware: an API response and everything it holds are freed by reference counting.

Requests go through Django's handler as a server calls it (no test client: the client hangs its own
cycles on every response, `response.json` and `resolver_match`). The cyclic garbage collector is off
during each request, so an object that is only freed by it stays alive and the assertion fails.
"""

import gc
import weakref
from collections.abc import Iterator

import pytest
from django.core.handlers.base import BaseHandler
from django.http import HttpResponse
from django.test import Client, RequestFactory

from tests.stations.conftest import SJ_POINT
from tests.stations.factories import StationFactory

RELEASE = "chaoyang_friendly.middleware.ReleaseApiResponseMiddleware"


def _handler() -> BaseHandler:
    handler = BaseHandler()
    handler.load_middleware()
    return handler


def _freed_without_gc(
    handler: BaseHandler, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes, bool]:
    """Status, body, and whether the response was freed once dropped, with the cyclic collector off."""
    gc.collect()
    gc.disable()
    try:
        response = handler.get_response(RequestFactory().get(path, secure=True, headers=headers))
        assert isinstance(response, HttpResponse)
        status, body = response.status_code, response.content
        ref = weakref.ref(response)
        del response
        return status, body, ref() is None
    finally:
        gc.enable()


@pytest.fixture
def station(streets):
    return StationFactory(street=streets["SJ"], point=SJ_POINT.clone(), name="双井测试驿站", opening_hours="24/7")


@pytest.fixture
def without_release(settings) -> Iterator[None]:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != RELEASE]
    yield


def test_release_middleware_is_outermost(settings):
    assert settings.MIDDLEWARE[0] == RELEASE


def test_nearest_list_response_is_freed_without_the_garbage_collector(station):
    status, body, freed = _freed_without_gc(_handler(), "/api/v1/stations/?lng=116.4665&lat=39.8935")
    assert status == 200
    assert "双井测试驿站".encode() in body
    assert freed


def test_without_the_middleware_drf_keeps_the_response_in_a_cycle(station, without_release):
    # The control: the same request, without the middleware, leaves the response to the cyclic collector.
    status, _body, freed = _freed_without_gc(_handler(), "/api/v1/stations/?lng=116.4665&lat=39.8935")
    assert status == 200
    assert not freed


def test_error_responses_are_freed_too(station):
    status, body, freed = _freed_without_gc(_handler(), "/api/v1/stations/?lng=abc&lat=39.9")
    assert status == 400
    assert b"lng" in body
    assert freed


def test_an_authenticated_response_is_freed(rider):
    client = Client()
    client.force_login(rider)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    status, body, freed = _freed_without_gc(_handler(), "/api/v1/auth/me/", {"cookie": cookie})
    assert status == 200
    assert rider.phone.encode() in body or str(rider.pk).encode() in body
    assert freed


def test_the_test_client_still_sees_the_data_and_the_user(station, rider):
    client = Client()
    client.force_login(rider)
    response = client.get("/api/v1/stations/?lng=116.4665&lat=39.8935")
    assert response.status_code == 200
    assert response.data["features"][0]["properties"]["name"] == "双井测试驿站"
    assert response.json()["features"][0]["id"] == station.pk
    # Pages are not touched: the request of an HTML response keeps its user and messages.
    page = client.get("/stations/")
    assert page.status_code == 200
    assert page.wsgi_request.user == rider
