"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/, in JSON and XML.

Services are our categories; requests are our reports (statuses map to open/closed with status_notes).
POST needs `api_key` = one of our API tokens; the token's account becomes the reporter.
"""

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import ApiToken, Role, hash_secret
from chaoyang_friendly.errors import ApplicationError

from . import idempotency, services
from .models import Category, Report
from .ratelimits import report_submit_rate_exceeded

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-28T00:00:00+08:00"
MAX_RESULTS = 1000
DEFAULT_DAYS = 90


class Open311Error(Exception):
    def __init__(self, code: int, description: str) -> None:
        self.code = code
        self.description = description
        super().__init__(description)


# --- rendering -------------------------------------------------------------------------------------
# Characters XML 1.0 cannot carry (C0 controls but tab, LF and CR; surrogates; U+FFFE/U+FFFF) and the
# DEL/C1 controls: dropped from every string, in XML and JSON alike, so that one stored description can
# never make the public feed unparseable.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _safe(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSAFE_CHARS.sub("", value)
    if isinstance(value, list):
        return [_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    return value


def _xml_value(parent: ET.Element, key: str, value: Any) -> None:
    child = ET.SubElement(parent, key)
    if isinstance(value, list):
        for item in value:
            _xml_value(child, key.rstrip("s") if key.endswith("s") else "item", item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(child, k, v)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = str(value)


def _render(data: Any, fmt: str, *, root: str, item: str, status: int = 200) -> HttpResponse:
    data = _safe(data)
    if fmt == "json":
        return JsonResponse(data, safe=False, status=status, json_dumps_params={"ensure_ascii": False})
    top = ET.Element(root)
    for entry in data if isinstance(data, list) else [data]:
        element = ET.SubElement(top, item) if isinstance(data, list) else top
        for key, value in entry.items():
            _xml_value(element, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8", xml_declaration=False)
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _error(exc: Open311Error, fmt: str) -> HttpResponse:
    return _render(
        [{"code": exc.code, "description": exc.description}], fmt, root="errors", item="error", status=exc.code
    )


def _handle(view):  # type: ignore[no-untyped-def]
    def wrapped(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, fmt, **kwargs)
        except Open311Error as exc:
            return _error(exc, fmt)
        except ApplicationError as exc:
            return _error(Open311Error(exc.status_code, str(exc.message)), fmt)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


# --- resources ---------------------------------------------------------------------------------------
def _service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": "urgent" if category.urgent else "",
        "group": _("随手拍"),
    }


def _status_notes(report: Report) -> str:
    S = Report.Status
    if report.status == S.ROUTED and report.team:
        return _("已派给%(team)s") % {"team": report.team.name}
    if report.status == S.REJECTED:
        return _("已驳回：%(why)s") % {"why": report.status_note}
    if report.status == S.DUPLICATE:
        return _("与 #%(id)s 重复") % {"id": report.duplicate_of_id}
    if report.status == S.RESOLVED and report.status_note:
        return f"{report.get_status_display()}：{report.status_note}"
    return str(report.get_status_display())


def _request_item(report: Report, request: HttpRequest) -> dict:
    photos = [p for p in report.photos.all() if p.kind == "before"]
    return {
        "service_request_id": str(report.pk),
        "status": "open" if report.is_open else "closed",
        "status_notes": _status_notes(report),
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": report.description,
        "agency_responsible": report.team.name if report.team else (report.street.name if report.street else ""),
        "service_notice": "",
        "requested_datetime": _iso(report.created_at),
        "updated_datetime": _iso(report.updated_at),
        "expected_datetime": _iso(report.resolve_due_at),
        "address": report.street.name if report.street else "",
        "address_id": "",
        "zipcode": "",
        "lat": round(report.point.y, 6),
        "long": round(report.point.x, 6),
        "media_url": request.build_absolute_uri(photos[0].image.url) if photos else "",
    }


def _requests_qs() -> QuerySet:
    return Report.objects.select_related("category", "street", "team").prefetch_related("photos")


# Dates outside these years are refused: a day before year 1 or after 9999 (an offset or the default
# 90-day window applied) cannot be represented.
_YEARS = range(1900, 9000)
# A report id: ASCII digits only (str.isdigit also takes "²" and "١"), no more than fit a bigint.
_REPORT_ID = re.compile(r"[0-9]{1,18}")


def _report_id(value: str) -> int | None:
    value = value.strip()
    return int(value) if _REPORT_ID.fullmatch(value) else None


def _parse_date(value: str, name: str) -> datetime:
    try:  # parse_datetime raises ValueError for a well-formed impossible date (02-30) or offset (+99:00)
        parsed = parse_datetime(value.replace(" ", "+")) if value else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.year not in _YEARS:
        raise Open311Error(400, _("参数 %(name)s 必须是 W3C 日期时间格式。") % {"name": name})
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


@require_GET
@_handle
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri("/open311/v2/")
    data = {
        "changeset": CHANGESET,
        "contact": _("朝阳区委社会工作部 · 友好朝阳"),
        "key_service": _("使用友好朝阳 API 令牌作为 api_key（骑手登录后获取）。"),
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return _render(data, fmt, root="discovery", item="endpoint")


@require_GET
@_handle
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    data = [_service(c) for c in Category.objects.filter(is_active=True)]
    return _render(data, fmt, root="services", item="service")


@require_GET
@_handle
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise Open311Error(404, _("没有这个服务代码：%(code)s") % {"code": code})
    return _render({"service_code": category.code, "attributes": []}, fmt, root="service_definition", item="")


def _token_user(api_key: str) -> Any:
    token = (
        ApiToken.objects.select_related("user").filter(key_hash=hash_secret(api_key), revoked_at__isnull=True).first()
    )
    if not api_key or token is None or not token.user.is_active:
        raise Open311Error(403, _("api_key 无效。"))
    return token.user


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_handle
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _request_create(request, fmt)
    params = request.GET
    qs = _requests_qs()
    if params.get("service_request_id"):
        ids = [i for i in map(_report_id, params["service_request_id"].split(",")) if i is not None]
        qs = qs.filter(pk__in=ids)
    else:
        if params.get("service_code"):
            qs = qs.filter(category__code__in=[c.strip() for c in params["service_code"].split(",")])
        end = _parse_date(params["end_date"], "end_date") if params.get("end_date") else timezone.now()
        start = (
            _parse_date(params["start_date"], "start_date")
            if params.get("start_date")
            else end - timedelta(days=DEFAULT_DAYS)
        )
        if start > end:
            raise Open311Error(400, _("start_date 不能晚于 end_date。"))
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        statuses = {s.strip() for s in params.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status 只能是 open 或 closed。"))
        if statuses == {"open"}:
            qs = qs.filter(status__in=Report.OPEN_STATUSES)
        elif statuses == {"closed"}:
            qs = qs.filter(status__in=Report.CLOSED_STATUSES)
    data = [_request_item(r, request) for r in qs.order_by("-created_at")[:MAX_RESULTS]]
    return _render(data, fmt, root="service_requests", item="request")


def _request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    """Create a request; with an Idempotency-Key header a retry returns the first one (200, same id)."""
    data = request.POST
    user = _token_user(data.get("api_key", ""))
    if user.role != Role.RIDER:
        raise Open311Error(403, _("只有骑手的 api_key 可以提交请求。"))
    submit_key = idempotency.submit_key_from_headers(request.headers)
    # Answered before the rate limit: a retry of a saved request is never throttled.
    existing = idempotency.report_for_submit_key(reporter=user, submit_key=submit_key)
    if existing is not None:
        body = [{"service_request_id": str(existing.pk), "service_notice": "", "account_id": None}]
        return _render(body, fmt, root="service_requests", item="request", status=200)
    if report_submit_rate_exceeded(request, reporter=user):  # the same limits as the REST submit
        raise Open311Error(429, _("提交过于频繁，请稍后再试。"))
    if not data.get("service_code"):
        raise Open311Error(400, _("缺少 service_code。"))
    if not Category.objects.filter(code=data["service_code"], is_active=True).exists():
        raise Open311Error(404, _("没有这个服务代码：%(code)s") % {"code": data["service_code"]})
    if not (data.get("lat") and data.get("long")):
        raise Open311Error(400, _("需要 lat 和 long（WGS-84）；不支持只给 address_string。"))
    report = services.report_submit(
        reporter=user,
        category_code=data["service_code"],
        lng=data["long"],
        lat=data["lat"],
        crs=Report.Crs.WGS84,
        description=data.get("description", ""),
        submit_key=submit_key,
    )
    body = [{"service_request_id": str(report.pk), "service_notice": "", "account_id": None}]
    status = 200 if getattr(report, "submit_replayed", False) else 201
    return _render(body, fmt, root="service_requests", item="request", status=status)


@require_GET
@_handle
def request_detail(request: HttpRequest, fmt: str, pk: str) -> HttpResponse:
    report_id = _report_id(pk)
    report = _requests_qs().filter(pk=report_id).first() if report_id is not None else None
    if report is None:
        raise Open311Error(404, _("没有这个请求：%(id)s") % {"id": pk})
    return _render([_request_item(report, request)], fmt, root="service_requests", item="request")
