"""Project middleware."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from .clientip import client_ip_compute, peer_is_trusted_proxy
from .logs import client_ip_var, request_id_var

access_log = logging.getLogger("chaoyang.access")
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

# Per-request state that Django's own middleware ties back to the request: the messages storage keeps
# `request` (MessageMiddleware) and the lazy user closes over it (AuthenticationMiddleware).
_REQUEST_CYCLES = ("_messages", "auser", "user")


class ReleaseApiResponseMiddleware:
    """Let an API request's objects be freed the moment its response has been sent.

    A DRF request leaves a web of reference cycles behind: the response's `renderer_context` holds the view
    and the response itself, the view holds the request and the response, the request's `parser_context`
    holds the view (encode/django-rest-framework#5826), Django's View.setup makes every view with a `get`
    hold itself (`self.head = self.get`), and the messages storage and the lazy user hold the request.
    Reference counting cannot free any of it, so the view, both requests, the response and the whole
    payload (for the nearest-stations list, ~200 dicts and lists) wait for Python's cyclic garbage
    collector. On a busy worker that collector then runs every few requests and charges its pause to
    whichever request is allocating at the time: the latency tail.

    Once a DRF response has been rendered and every other middleware has finished with it (this one sits
    outermost), nothing reads those contexts, the view (one instance per request) or that request state
    again: the body is plain bytes. So they are cleared here, and everything is freed by reference counting
    as soon as the server drops the response. Other responses (pages, streamed CSV exports, whose body may
    still read the request while it streams) are left as they are.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        context = getattr(response, "renderer_context", None)
        if context and getattr(response, "is_rendered", False):
            api_request, view = context.get("request"), context.get("view")
            if api_request is not None:
                api_request.parser_context = None
            if view is not None:
                vars(view).clear()
            context.clear()
            state = vars(request)
            for name in _REQUEST_CYCLES:
                state.pop(name, None)
        return response


class RequestContextMiddleware:
    """Sets `request.client_ip` (chaoyang_friendly.clientip) and `request.request_id`, puts both on every log
    record written while the request is served, returns the id in X-Request-ID, and writes the access log.

    The id comes from the proxy's X-Request-ID when the peer is a trusted proxy (one id across the proxy's
    and our logs), else it is made here: a client cannot inject text into our logs through it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        ip = client_ip_compute(request)
        offered = request.META.get("HTTP_X_REQUEST_ID", "")
        if offered and _REQUEST_ID_OK.match(offered) and peer_is_trusted_proxy(request):
            request_id = offered
        else:
            request_id = uuid.uuid4().hex
        request.client_ip = ip  # type: ignore[attr-defined]
        request.request_id = request_id  # type: ignore[attr-defined]
        ip_token, id_token = client_ip_var.set(ip), request_id_var.set(request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            if settings.ACCESS_LOG:
                self._log(request, response, started)
        finally:
            client_ip_var.reset(ip_token)
            request_id_var.reset(id_token)
        return response

    @staticmethod
    def _log(request: HttpRequest, response: HttpResponse, started: float) -> None:
        millis = (time.perf_counter() - started) * 1000
        size = "-" if response.streaming else str(len(response.content))
        access_log.info(
            '%s "%s %s" %s %s %.1fms',
            request.client_ip,  # type: ignore[attr-defined]
            request.method,
            request.get_full_path(),
            response.status_code,
            size,
            millis,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(millis, 1),
                "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
            },
        )


class DatabaseUnavailableMiddleware:
    """A database connection that drops mid-request (a restart, a failover, a terminated backend) is a
    503 with Retry-After, not a 500: nothing was saved (the transaction rolled back) and trying again in a
    moment works. JSON for the APIs, the Chinese page otherwise; the next request reconnects."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logging.getLogger(__name__).warning("database unavailable: %s", exception)
        message = _("数据库连接刚刚中断，您的操作没有完成。请几秒钟后再试一次。")
        if request.path.startswith(("/api/", "/open311/")):
            response: HttpResponse = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = "2"
        return response
