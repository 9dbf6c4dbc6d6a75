"""Personas and clients shared by every app's tests (CONVENTIONS.md, Tests).

rider, rider_b, staff_a (双井 SJ), staff_b (三里屯 SLT), analyst (district), dispatcher (+ token),
team_member (东湖 DH, + token). `api` makes an APIClient authenticated with a real token.
"""

from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import RiderProfile, Role, User
from accounts.services import api_token_create
from chaoyang_friendly import broker
from jurisdictions.models import Street
from jurisdictions.services import streets_load

STAFF_PASSWORD = "Demo-Pass-2026!"


@pytest.fixture(autouse=True)
def _isolated_cache_and_files(settings, tmp_path) -> Iterator[None]:
    """Each test starts with an empty cache (rate-limit counters) and its own SMS/media folders."""
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_DIR = str(tmp_path / "sms")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    _breakers_closed()
    cache.clear()
    yield
    cache.clear()
    _breakers_closed()


@pytest.fixture
def redis_away(settings) -> Iterator[None]:
    """The project's own cache backend (from REDIS_URL), pointed at a port where Redis is not running."""
    from django.core.cache import caches

    assert "redis" in settings.CACHES["default"]["BACKEND"].lower(), "these tests need REDIS_URL"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": REDIS_CLOSED}}
    _breakers_closed(caches["default"])
    yield
    _breakers_closed(caches["default"])


REDIS_CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


def _breakers_closed(the_cache: object = cache) -> None:
    """A test that took the broker or Redis away must not leave the next one skipping them."""
    broker.breaker_reset()
    breaker = getattr(the_cache, "breaker", None)
    if breaker is not None:
        breaker.reset()


@pytest.fixture
def streets(db) -> dict[str, Street]:
    """The 43 streets, by code (loaded once per test database; reloaded after a transactional flush)."""
    if Street.objects.count() != 43:
        streets_load()
    return {s.code: s for s in Street.objects.all()}


def _person(phone: str, role: str, street: Street | None = None, **extra: object) -> User:
    is_staff = role in {Role.STREET_STAFF, Role.DISTRICT_STAFF}
    user = User.objects.create_user(
        phone, password=STAFF_PASSWORD if is_staff else None, role=role, street=street, is_staff=is_staff, **extra
    )
    return user


@pytest.fixture
def rider(streets) -> User:
    user = _person("13900000001", Role.RIDER, name="王师傅")
    RiderProfile.objects.create(user=user, occupation="food_delivery", platform="美团", work_street=streets["SJ"])
    return user


@pytest.fixture
def rider_b(streets) -> User:
    user = _person("13900000002", Role.RIDER, name="李师傅")
    RiderProfile.objects.create(user=user, occupation="courier", platform="顺丰", work_street=streets["SLT"])
    return user


@pytest.fixture
def staff_a(streets) -> User:
    """Street staff of 双井 (SJ)."""
    return _person("13800000002", Role.STREET_STAFF, streets["SJ"], name="双井工作人员")


@pytest.fixture
def staff_b(streets) -> User:
    """Street staff of 三里屯 (SLT)."""
    return _person("13800000003", Role.STREET_STAFF, streets["SLT"], name="三里屯工作人员")


@pytest.fixture
def analyst(streets) -> User:
    """District staff / analyst: sees every street, read-mostly."""
    return _person("13800000001", Role.DISTRICT_STAFF, name="区分析员")


@pytest.fixture
def dispatcher(streets) -> User:
    return User.objects.create_user(None, role=Role.DISPATCHER, name="dispatch-worker")


@pytest.fixture
def dispatcher_token(dispatcher) -> str:
    return api_token_create(user=dispatcher, name="test")[1]


@pytest.fixture
def team_member(streets) -> User:
    """A response-team service account of 东湖 (DH)."""
    return User.objects.create_user(None, role=Role.TEAM_MEMBER, name="东湖应急队", street=streets["DH"])


@pytest.fixture
def team_token(team_member) -> str:
    return api_token_create(user=team_member, name="test")[1]


@pytest.fixture
def api() -> Callable[[User | str | None], APIClient]:
    """api(user) → APIClient with a fresh bearer token for `user`; api(token_str) uses that token;
    api(None) is anonymous."""

    def make(who: User | str | None = None) -> APIClient:
        client = APIClient()
        if isinstance(who, User):
            who = api_token_create(user=who, name="test")[1]
        if who:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {who}")
        return client

    return make


@pytest.fixture
def admin_client_for(client) -> Callable[[User], object]:
    """admin_client_for(user) → Django test client logged in as that staff user."""

    def make(user: User):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make
