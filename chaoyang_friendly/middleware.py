"""Project middleware."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
