from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chaoyang_friendly.csvexport import stream_csv
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.scoping import user_sees_all_streets
from jurisdictions.models import Street

from . import charts
from .filters import parse_filters
from .models import ExportJob
from .registry import EXPORTS
from .services import export_definition, export_job_create, export_job_file_open, export_job_progress


def _error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return HttpResponse(str(exc), status=exc.status_code, content_type="text/plain; charset=utf-8")


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """An analytics page in the admin's frame: the admin site's context gives it the header with the
    user's name and the 退出 (POST) form."""
    return render(request, template, {**admin.site.each_context(request), **context})


def _streets_for(user: Any) -> Any:
    """The streets a staff member may filter by: all for the district, their own for a street."""
    if user_sees_all_streets(user):
        return Street.objects.order_by("code")
    return Street.objects.filter(pk=user.street_id)


@staff_member_required
def analytics_home(request: HttpRequest) -> HttpResponse:
    return _home(request)


def _home(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    streets = _streets_for(request.user)
    jobs = list(ExportJob.objects.filter(user=request.user)[:20])
    for job in jobs:
        job.progress = export_job_progress(job)
    response = _page(
        request,
        "analytics/home.html",
        {"exports": EXPORTS.values(), "streets": streets, "jobs": jobs, "params": request.GET, "error": error},
    )
    response.status_code = status
    return response


@staff_member_required
def export_csv(request: HttpRequest, name: str) -> HttpResponse:
    try:
        definition = export_definition(name)
        filters = parse_filters(request.GET, request.user)
    except ApplicationError as exc:
        # A link on the analytics page: the page again, with the reason on screen and the filters kept.
        return _home(request, error=str(exc), status=exc.status_code)
    return stream_csv(definition.build(user=request.user, filters=filters), user=request.user, lang=filters.lang)


@staff_member_required
@require_http_methods(["POST"])
def export_job_start(request: HttpRequest, name: str) -> HttpResponse:
    try:
        export_job_create(
            user=request.user,
            name=name,
            params={k: v for k, v in request.POST.items() if k in {"date_from", "date_to", "street", "lang"}},
        )
    except ApplicationError as exc:
        return _error(request, exc)
    return redirect("analytics:home")


@staff_member_required
def export_job_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner's finished export file (private storage, no URL of its own); 404 for anyone else."""
    job = ExportJob.objects.filter(pk=pk, user=request.user, status=ExportJob.Status.DONE).exclude(file="").first()
    if job is None:
        raise Http404(_("未找到。"))
    try:
        handle = export_job_file_open(job=job, user=request.user)
    except FileNotFoundError:
        raise Http404(_("未找到。")) from None
    response = FileResponse(handle, as_attachment=True, filename=job.download_name)
    response["Cache-Control"] = "no-store"
    return response


@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    streets = _streets_for(request.user)
    return _page(
        request,
        "analytics/dashboard.html",
        {
            "charts": [c for c in charts.CHARTS.values() if c.kind != "map"],
            "has_map": {"coverage-gaps", "report-hotspots"} <= set(charts.CHARTS),
            "streets": streets,
            "params": request.GET,
        },
    )


@staff_member_required
def chart_data(request: HttpRequest, name: str) -> HttpResponse:
    """A chart's numbers as JSON (for Chart.js) or, with ?format=csv, as a CSV download."""
    chart = charts.CHARTS.get(name)
    if chart is None:
        raise Http404(_("未找到。"))
    try:
        filters = parse_filters(request.GET, request.user)
    except ApplicationError as exc:
        return _error(request, exc)
    data: dict[str, Any] = chart.data(user=request.user, filters=filters)
    if request.GET.get("format") == "csv":
        return stream_csv(chart.csv_spec(data, filters), user=request.user, lang=filters.lang, channel="chart")
    return JsonResponse(data)
