"""Error pages (urls.py handler404/403/500, settings.CSRF_FAILURE_VIEW).

Riders get a page in the rider layout, in their language, that says what happened and how to go on.
Under /api/ the answer stays JSON (clients parse it); under /admin/ and /analytics/ the admin's look.
A django-ratelimit `Ratelimited` (a PermissionDenied) becomes 429, not 403.
"""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import requires_csrf_token
from django_ratelimit.exceptions import Ratelimited

API_PREFIX = "/api/"
STAFF_PREFIXES = ("/admin/", "/analytics/")
# status → (heading, what happened); the rider templates say more and offer the way back.
PAGES = {
    403: (gettext_lazy("没有权限"), gettext_lazy("您没有权限查看这个页面。")),
    404: (gettext_lazy("找不到这个页面"), gettext_lazy("链接可能已失效，或者地址输错了。")),
    429: (gettext_lazy("操作太频繁了"), gettext_lazy("请稍等几分钟再试。")),
    "csrf": (gettext_lazy("页面已过期"), gettext_lazy("为了您的安全，请返回上一页，刷新后再提交一次。")),
}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _back_url(request: HttpRequest) -> str:
    """The page the rider came from, when it is one of ours and not this one: a link, no JavaScript (the CSP
    allows no inline handlers, and the 500 page has no request to take a nonce from)."""
    referer = request.headers.get("Referer", "")
    ours = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if referer and ours and referer != request.build_absolute_uri() else ""


def _render(request: HttpRequest, name: str, page: int | str, context: dict | None = None) -> HttpResponse:
    title, message = PAGES[page]
    status = 403 if page == "csrf" else int(page)
    context = {"title": title, "message": message, "back_url": _back_url(request), **(context or {})}
    if request.path.startswith(STAFF_PREFIXES):
        # The admin's own look (analytics pages extend it too), with its header and sidebar.
        context.update(admin.site.each_context(request))
        name = "admin/error.html"
    return HttpResponse(loader.render_to_string(name, context, request), status=status)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404. A scanned QR code that is no station's (/s/<code>) is told so and sent to the station finder."""
    if _is_api(request):
        return JsonResponse({"detail": _("未找到。")}, status=404)
    match = request.resolver_match
    code = match.kwargs.get("code", "") if match is not None and match.view_name == "stations:checkin" else ""
    return _render(request, "404.html", 404, {"wrong_qr_code": code})


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, Ratelimited):
        if _is_api(request):
            return JsonResponse({"detail": _("请求过于频繁，请稍后再试。")}, status=429)
        return _render(request, "429.html", 429)
    if _is_api(request):
        return JsonResponse({"detail": _("您没有执行该操作的权限。")}, status=403)
    return _render(request, "403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("CSRF 校验失败，请刷新页面后重试。")}, status=403)
    return _render(request, "403_csrf.html", "csrf")


def server_error(request: HttpRequest) -> HttpResponse:
    """500, rendered without the request's context processors: nothing here may need the database."""
    if _is_api(request):
        return JsonResponse({"detail": _("服务器出错了，请稍后再试。")}, status=500)
    return HttpResponse(loader.render_to_string("500.html"), status=500)
