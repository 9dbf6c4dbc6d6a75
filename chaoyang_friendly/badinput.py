"""Control characters in a request's path, query string or form fields are refused with a 400.

PostgreSQL cannot store NUL, so a NUL that reaches a query is a 500; the other C0 control characters (and
DEL) have no business in a URL or a form, and the ones stored would break the XML feeds. Tab, line feed and
carriage return stay allowed (multi-line text fields). JSON bodies are left to the serializers (DRF's
CharField refuses NUL itself). The answer is JSON under /api/, the Open311 error format under /open311/, and
a page elsewhere, always with a translated message.
"""

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
STAFF_PREFIXES = ("/admin/", "/analytics/")
_JSON = {"ensure_ascii": False}


def has_control_characters(value: str) -> bool:
    """True when `value` holds a character we refuse in any URL or form field (see the module's docstring)."""
    return CONTROL_CHARACTERS.search(value) is not None


def _texts(request: HttpRequest) -> Iterable[str]:
    yield request.path
    for key, values in request.GET.lists():
        yield key
        yield from values
    if request.method == "POST":
        # Reading POST here is what CsrfViewMiddleware does too; DRF reuses the parsed form afterwards.
        for key, values in request.POST.lists():
            yield key
            yield from values
        for key, files in request.FILES.lists():
            yield key
            yield from (f.name or "" for f in files)


def _open311_error(request: HttpRequest, message: str) -> HttpResponse:
    """GeoReport v2's error list, in the format the path asks for."""
    if not request.path.endswith(".xml"):
        return JsonResponse([{"code": 400, "description": message}], safe=False, status=400, json_dumps_params=_JSON)
    errors = ET.Element("errors")
    error = ET.SubElement(errors, "error")
    ET.SubElement(error, "code").text = "400"
    ET.SubElement(error, "description").text = message
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(errors, encoding="utf-8", xml_declaration=False)
    return HttpResponse(body, status=400, content_type="text/xml; charset=utf-8")


def bad_input_response(request: HttpRequest) -> HttpResponse:
    """The 400 for a request carrying control characters."""
    message = _("请求中含有不允许的控制字符（例如 NUL），请删除后重试。")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400, json_dumps_params=_JSON)
    if request.path.startswith("/open311/"):
        return _open311_error(request, message)
    context = {"title": _("输入有误"), "message": message}
    name = "errors/bad_input.html"
    if request.path.startswith(STAFF_PREFIXES) and getattr(request, "user", None) is not None:
        context.update(admin.site.each_context(request))
        name = "admin/error.html"
    return HttpResponse(loader.render_to_string(name, context, request), status=400)


class RejectControlCharactersMiddleware:
    """Answer 400 (bad_input_response) before any view sees a control character in the path, the query
    string or a form field. Sits after the authentication middleware, so the staff page has its header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any(has_control_characters(text) for text in _texts(request)):
            logger.info("refused control characters in %s %s", request.method, request.path.encode("unicode_escape"))
            return bad_input_response(request)
        return self.get_response(request)
