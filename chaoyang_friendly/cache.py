"""A Redis cache that fails open (DESIGN.md: no request may fail because Redis is away).

While Redis does not answer, every operation behaves like a miss or a no-op: get → default, set → nothing,
add → True (so django-ratelimit counts 1 and lets the request through; nothing may use `add` as a mutex),
incr → ValueError (a missing key). After a failure a process-wide breaker skips Redis for
CACHE_RETRY_AFTER_SECONDS, so a request never waits on connect timeouts more than once per window.
"""

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Connection refused/reset, timeouts, but also a proxy or a loading/read-only server answering nonsense.
REDIS_DOWN = (RedisError, OSError)
WARNING_INTERVAL_SECONDS = 60.0


class Breaker:
    """Open for `retry_after` seconds after a failure. One per Redis location and process: Django builds a
    cache object per thread, and all threads should learn from one thread's timeout."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.open_until = 0.0
        self.failing = False
        self.last_warning = -WARNING_INTERVAL_SECONDS
        self.lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self, op: str, exc: BaseException, retry_after: float) -> None:
        now = time.monotonic()
        with self.lock:
            self.open_until = now + retry_after
            self.failing = True
            warn = now - self.last_warning >= WARNING_INTERVAL_SECONDS
            if warn:
                self.last_warning = now
        # Rate-limited: one warning a minute per process, the rest at debug level.
        logger.log(
            logging.WARNING if warn else logging.DEBUG,
            "cache %s unavailable (%s: %s); failing open for %.1f s",
            self.name,
            op,
            exc,
            retry_after,
        )

    def succeeded(self) -> None:
        if self.failing:
            self.failing = False
            logger.info("cache %s is answering again", self.name)

    def reset(self) -> None:
        self.open_until, self.failing = 0.0, False


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str) -> Breaker:
    with _breakers_lock:
        return _breakers.setdefault(location, Breaker(location))


def cache_available(alias: str = "default") -> bool:
    """False while that cache is a FailOpenRedisCache whose breaker is open (Redis just failed)."""
    backend = caches[alias]
    return not (isinstance(backend, FailOpenRedisCache) and backend.breaker.is_open())


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self.breaker = breaker_for(",".join(self._servers))

    def _guard(self, op: str, call: Callable[[], Any], fallback: Any) -> Any:
        if self.breaker.is_open():
            return fallback
        try:
            result = call()
        except REDIS_DOWN as exc:
            self.breaker.trip(op, exc, float(getattr(settings, "CACHE_RETRY_AFTER_SECONDS", 5)))
            return fallback
        self.breaker.succeeded()
        return result

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guard("add", partial(super().add, key, value, timeout, version), True)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guard("get", partial(super().get, key, default, version), default)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._guard("set", partial(super().set, key, value, timeout, version), None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guard("touch", partial(super().touch, key, timeout, version), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guard("delete", partial(super().delete, key, version), False)

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        return self._guard("get_many", partial(super().get_many, keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guard("has_key", partial(super().has_key, key, version), False)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        missing = object()
        result = self._guard("incr", partial(super().incr, key, delta, version), missing)
        if result is missing:
            raise ValueError(f"Key '{key}' not found (cache unavailable).")
        return result

    def set_many(self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list:
        return self._guard("set_many", partial(super().set_many, data, timeout, version), list(data))

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._guard("delete_many", partial(super().delete_many, keys, version), None)

    def clear(self) -> bool:
        return self._guard("clear", super().clear, False)
