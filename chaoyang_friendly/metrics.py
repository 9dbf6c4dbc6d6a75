"""/metrics for Prometheus: django-prometheus' request metrics plus the portal's operational gauges.

Protected: with neither METRICS_TOKEN nor METRICS_ALLOWED_NETWORKS set the endpoint does not exist (404);
with them a scrape needs `Authorization: Bearer <METRICS_TOKEN>` or a client address inside one of the
networks (401 otherwise). Under gunicorn, PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py) makes the request
metrics the sum over all web workers instead of whichever worker answered.

Operational gauges are read at scrape time: the broker's queue depths (Redis), Celery task failures
(counted by the workers into the shared cache), and each domain app's own `<app>/metrics.py`
`collect() -> Iterable[Metric]` (reports: dispatch latency and SLA breaches).
"""

import hmac
import importlib
import importlib.util
import ipaddress
import logging
import os
from collections.abc import Iterable

import prometheus_client
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from .clientip import client_ip

logger = logging.getLogger(__name__)

QUEUES = ("dispatch", "maintenance", "exports")
TASK_FAILURES_KEY = "metrics:task-failures:{}"
TASK_FAILURE_NAMES_KEY = "metrics:task-failures:names"
# kombu's Redis transport keeps a queue with message priorities in these lists (priority_steps 0, 3, 6, 9).
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def task_failure_record(task_name: str) -> None:
    """Count a task that failed for good (called by the worker; the cache is shared with the web)."""
    try:
        names = cache.get(TASK_FAILURE_NAMES_KEY) or set()
        if task_name not in names:
            cache.set(TASK_FAILURE_NAMES_KEY, {*names, task_name}, timeout=None)
        key = TASK_FAILURES_KEY.format(task_name)
        cache.add(key, 0, timeout=None)
        cache.incr(key)
    except Exception:
        logger.warning("could not count a failure of %s", task_name, exc_info=True)


def _queue_depths() -> dict[str, int]:
    if not settings.REDIS_URL:
        return {}
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        pipe = client.pipeline(transaction=False)
        for queue in QUEUES:
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(queue + suffix)
        lengths = pipe.execute()
    finally:
        client.close()
    step = len(_PRIORITY_SUFFIXES)
    return {q: sum(lengths[i * step : (i + 1) * step]) for i, q in enumerate(QUEUES)}


class OperationsCollector(Collector):
    """Reads the portal's state at scrape time; a part that fails is logged and left out."""

    def collect(self) -> Iterable[Metric]:
        try:
            depths = _queue_depths()
        except Exception:
            logger.warning("metrics: broker queue depths unavailable", exc_info=True)
            depths = {}
        if depths:
            gauge = GaugeMetricFamily("chaoyang_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"])
            for queue, depth in depths.items():
                gauge.add_metric([queue], depth)
            yield gauge
        failures = CounterMetricFamily(
            "chaoyang_celery_task_failures", "Celery tasks that failed for good (after their retries).", labels=["task"]
        )
        names = sorted(cache.get(TASK_FAILURE_NAMES_KEY) or ())
        counts = cache.get_many([TASK_FAILURES_KEY.format(n) for n in names]) if names else {}
        for name in names:
            failures.add_metric([name], counts.get(TASK_FAILURES_KEY.format(name), 0))
        yield failures
        for config in apps.get_app_configs():
            if not config.path.startswith(str(settings.BASE_DIR)) or config.name == "chaoyang_friendly":
                continue
            if importlib.util.find_spec(f"{config.name}.metrics") is None:
                continue
            try:
                yield from importlib.import_module(f"{config.name}.metrics").collect()
            except Exception:
                logger.warning("metrics: %s.metrics failed", config.name, exc_info=True)


_operations = CollectorRegistry(auto_describe=False)
_operations.register(OperationsCollector())


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    if settings.METRICS_ALLOWED_NETWORKS:
        try:
            ip = ipaddress.ip_address(client_ip(request))
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(n, strict=False) for n in settings.METRICS_ALLOWED_NETWORKS)
    return False


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition text: request metrics (django-prometheus) then the operational gauges."""
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS):
        raise Http404
    if not _allowed(request):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    body = prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(_operations)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
