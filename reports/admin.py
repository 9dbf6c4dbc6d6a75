"""Street staff run their street's queue here: filters, a map, the timeline, and actions that each call one
service (so every change is a timeline event written in the same transaction)."""

import math
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db import models
from django.db.models import Case, Count, DateTimeField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Least
from django.http import HttpRequest
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chaoyang_friendly.admin_audit import SuperuserDeleteAdminMixin
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.geo import display_coords
from chaoyang_friendly.scoping import StreetScopedAdmin, people_for_user, user_sees_all_streets

from . import services
from .models import Category, DeliveryAttempt, Report, ReportEvent, ReportPhoto, ResponseTeam


class OverdueFilter(admin.SimpleListFilter):
    title = _("时限")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("已超时")), ("no", _("未超时"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.overdue(timezone.now())
        if self.value() == "no":
            return queryset.exclude(pk__in=Report.objects.overdue(timezone.now()).values("pk"))
        return queryset


class ReportChangeList(ChangeList):
    """Unless the clerk sorts by a column, the header marks the 时限 column as the queue's order (URGENCY_ORDER),
    not the model's default (created_at)."""

    def get_ordering_field_columns(self) -> dict[int, str]:
        if ORDER_VAR in self.params or "time_left" not in self.list_display:
            return super().get_ordering_field_columns()
        return {list(self.list_display).index("time_left"): "asc"}


class ReportActionForm(ActionForm):
    # All teams are listed (names are not private); the action accepts only the staff's own street's
    # teams and the district fallback. The form is shared by every request, so it is not narrowed here.
    team = forms.ModelChoiceField(label=_("改派给"), queryset=ResponseTeam.objects.all(), required=False)
    original = forms.IntegerField(label=_("原报告编号"), required=False, min_value=1)
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


_OPEN = Q(status__in=Report.OPEN_STATUSES)
_ARRIVAL, _RESOLVE = F("arrival_due_at"), F("resolve_due_at")
# The next deadline of an open report: arrival while nobody is on site, else resolution; none when closed or
# not yet routed. An open report is overdue exactly when it has passed (as ReportQuerySet.overdue).
DUE_AT = Case(
    When(_OPEN & Q(on_site_at__isnull=True), then=Least(Coalesce(_ARRIVAL, _RESOLVE), Coalesce(_RESOLVE, _ARRIVAL))),
    When(_OPEN, then=_RESOLVE),
    default=None,
    output_field=DateTimeField(),
)
OPEN_RANK = Case(When(_OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
# The queue's order: open before closed, then the earliest deadline (the most overdue first, then the least
# time left), urgent categories first on a tie, then the newest.
URGENCY_ORDER = (OPEN_RANK.asc(), DUE_AT.asc(nulls_last=True), F("category__urgent").desc(), F("created_at").desc())


def with_urgency(queryset: QuerySet) -> QuerySet:
    """Annotate `due_at` (DUE_AT), for the 剩余/已超时 column and its sorting."""
    return queryset.annotate(due_at=DUE_AT)


def minutes_text(minutes: int) -> str:
    """A duration the way a clerk reads it: 45 分钟, 2 小时 5 分钟, 3 天 4 小时."""
    if minutes < 60:
        return gettext("%(m)d 分钟") % {"m": minutes}
    if minutes < 24 * 60:
        return gettext("%(h)d 小时 %(m)d 分钟") % {"h": minutes // 60, "m": minutes % 60}
    return gettext("%(d)d 天 %(h)d 小时") % {"d": minutes // (24 * 60), "h": minutes % (24 * 60) // 60}


def time_left_html(report: Report, now: datetime) -> str:
    """剩余 x 分钟, or a red 已超时 N 分钟, or why there is no deadline."""
    if not report.is_open:
        return format_html('<span class="report-sla report-sla-closed">{}</span>', gettext("已关闭"))
    due = getattr(report, "due_at", None)
    if due is None:
        return format_html('<span class="report-sla report-sla-none">{}</span>', gettext("待派单，未开始计时"))
    seconds = (due - now).total_seconds()
    if seconds < 0:
        late = max(1, int(-seconds // 60))
        return format_html(
            '<strong class="report-sla report-sla-overdue">{}</strong>',
            gettext("已超时 %(t)s") % {"t": minutes_text(late)},
        )
    left = max(1, math.ceil(seconds / 60))
    return format_html(
        '<span class="report-sla report-sla-left">{}</span>', gettext("剩余 %(t)s") % {"t": minutes_text(left)}
    )


# What the keys of ReportEvent.data mean (reports/services.py writes them), for the timeline inline.
EVENT_DATA_LABELS = {
    "crs": _("坐标系"),
    "street": _("街道"),
    "team": _("应急队"),
    "team_name": _("应急队"),
    "from_team": _("原应急队"),
    "fallback": _("区级兜底"),
    "channel": _("渠道"),
    "status_code": _("HTTP 状态码"),
    "error": _("错误"),
    "failures": _("失败次数"),
    "status": _("状态"),
    "original": _("原报告"),
    "sla": _("超过的时限"),
}
SLA_LABELS = {
    "routing": _("派单"),
    "undeliverable": _("送达应急队"),
    "arrival": _("到场"),
    "resolution": _("处置"),
}


class ReportEventInline(admin.TabularInline):
    model = ReportEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "note", "details")
    readonly_fields = fields
    ordering = ("at", "id")

    @admin.display(description=_("详情"))
    def details(self, obj: ReportEvent) -> str:
        """The event's data as labelled, readable values (team names, status labels), not JSON."""
        rows = [(str(EVENT_DATA_LABELS.get(key, key)), self._value(key, value)) for key, value in self._items(obj)]
        return format_html_join(mark_safe("<br>"), "{}：{}", rows) if rows else "—"

    def _items(self, obj: ReportEvent) -> list[tuple[str, Any]]:
        data = obj.data if isinstance(obj.data, dict) else {}
        items = [(k, v) for k, v in data.items() if v not in (None, "")]
        if "team_name" in data:  # the name was kept at routing time: no need for the id too
            items = [(k, v) for k, v in items if k != "team"]
        return items

    def _value(self, key: str, value: Any) -> str:
        if isinstance(value, bool):
            return gettext("是") if value else gettext("否")
        if key in ("team", "from_team"):
            return self._team_names().get(value, f"#{value}")
        if key == "crs":
            return str(dict(Report.Crs.choices).get(value, value))
        if key == "status":
            return str(dict(Report.Status.choices).get(value, value))
        if key == "channel":
            return str(dict(DeliveryAttempt.Channel.choices).get(value, value))
        if key == "sla":
            return str(SLA_LABELS.get(value, value))
        if key == "original":
            return f"#{value}"
        if key == "street":
            return self._street_names().get(value, str(value))
        return str(value)

    def _team_names(self) -> dict[Any, str]:
        if not hasattr(self, "_teams"):
            self._teams = dict(ResponseTeam.objects.values_list("pk", "name"))
        return self._teams

    def _street_names(self) -> dict[Any, str]:
        from jurisdictions.models import Street

        if not hasattr(self, "_streets"):
            self._streets = dict(Street.objects.values_list("code", "name"))
        return self._streets

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReportPhotoInline(admin.TabularInline):
    model = ReportPhoto
    extra = 0
    can_delete = False
    fields = ("kind", "preview", "width", "height", "created_at")
    readonly_fields = fields

    @admin.display(description=_("预览"))
    def preview(self, obj: ReportPhoto) -> str:
        return format_html('<a href="{}"><img src="{}" style="max-height:90px"></a>', obj.image.url, obj.thumbnail.url)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("at", "team", "delivery_id", "channel", "outcome", "status_code", "error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(SuperuserDeleteAdminMixin, StreetScopedAdmin):
    change_list_template = "admin/reports/report/change_list.html"
    list_display = ("id", "time_left", "category", "street", "team", "status", "created_at", "supporters_n")
    list_filter = ("status", "category", OverdueFilter, "created_at")
    list_select_related = ("category", "street", "team")
    search_fields = ("=id", "description")
    date_hierarchy = "created_at"
    action_form = ReportActionForm
    actions = ["reassign_team", "mark_duplicate", "reject", "reopen"]
    inlines = [ReportPhotoInline, ReportEventInline, DeliveryAttemptInline]
    readonly_fields = (
        "reporter_masked",
        "category",
        "description",
        "location",
        "source_crs",
        "street",
        "team",
        "status",
        "status_note",
        "duplicate_of",
        "created_at",
        "routed_at",
        "delivered_at",
        "acknowledged_at",
        "on_site_at",
        "closed_at",
        "arrival_due_at",
        "resolve_due_at",
        "escalated_at",
    )
    fields = readonly_fields
    modifiable = False

    def get_list_filter(self, request: HttpRequest) -> Any:
        if user_sees_all_streets(request.user):
            return (*self.list_filter, "street")
        return self.list_filter

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return with_urgency(super().get_queryset(request).annotate(supporters_n=Count("supporters")))

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ReportChangeList

    def get_ordering(self, request: HttpRequest) -> Any:
        return URGENCY_ORDER  # most urgent first (with_urgency); the column headers still sort

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        """Street staff never see "delete" (a status change is their tool); for superusers it comes last,
        never as the first choice."""
        actions = super().get_actions(request)
        delete = actions.pop("delete_selected", None)
        if delete is not None and request.user.is_superuser:
            actions["delete_selected"] = delete
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reports come from riders (API, Open311), not from the admin

    @admin.display(description=_("上报人"))
    def reporter_masked(self, obj: Report) -> str:
        return obj.reporter.masked_phone or str(obj.reporter)

    @admin.display(description=_("位置"))
    def location(self, obj: Report) -> str:
        shown_lng, shown_lat = display_coords(obj.point)
        return format_html(
            '{} <div class="reports-map" data-lng="{}" data-lat="{}" data-tiles="{}" style="height:260px"></div>',
            f"{obj.point.x:.6f}, {obj.point.y:.6f} (WGS-84)",
            f"{shown_lng:.7f}",
            f"{shown_lat:.7f}",
            settings.MAP_TILES_URL,
        )

    @admin.display(description=_("时限"), ordering=F("due_at").asc(nulls_last=True))
    def time_left(self, obj: Report) -> str:
        return time_left_html(obj, timezone.now())

    @admin.display(description=_("附议"), ordering="supporters_n")
    def supporters_n(self, obj: Report) -> int:
        return obj.supporters_n

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            now = timezone.now()
            context["report_points"] = [
                {
                    "id": r.pk,
                    "lng": display_coords(r.point)[0],
                    "lat": display_coords(r.point)[1],
                    "label": f"#{r.pk} {r.category.name} · {r.get_status_display()}",
                    "overdue": bool(r.is_open and r.due_at is not None and r.due_at < now),
                }
                for r in context["cl"].result_list
            ]
        return response

    def _each(self, request: HttpRequest, queryset: QuerySet, call: Any, done: str) -> None:
        ok = 0
        for report in queryset.select_related("category"):
            try:
                call(report)
                ok += 1
            except ApplicationError as exc:
                self.message_user(request, f"#{report.pk}: {exc.message}", messages.ERROR)
        if ok:
            self.message_user(
                request, gettext("%(n)d 条随手拍已%(done)s。") % {"n": ok, "done": done}, messages.SUCCESS
            )

    @admin.action(description=_("改派应急队"), permissions=["change"])
    def reassign_team(self, request: HttpRequest, queryset: QuerySet) -> None:
        team_id = request.POST.get("team")
        allowed = ResponseTeam.objects.for_user(request.user) | ResponseTeam.objects.filter(is_district_fallback=True)
        team = allowed.filter(pk=team_id).first() if team_id else None
        if team is None:
            self.message_user(request, gettext("请选择要改派的应急队。"), messages.ERROR)
            return
        self._each(
            request,
            queryset,
            lambda r: services.report_reassign(report=r, team=team, actor=request.user),
            gettext("改派"),
        )

    @admin.action(description=_("标记为重复（填写原报告编号）"), permissions=["change"])
    def mark_duplicate(self, request: HttpRequest, queryset: QuerySet) -> None:
        original = self.get_queryset(request).filter(pk=request.POST.get("original") or 0).first()
        if original is None:
            self.message_user(request, gettext("请填写本街道内的原报告编号。"), messages.ERROR)
            return
        self._each(
            request,
            queryset,
            lambda r: services.report_mark_duplicate(report=r, original=original, actor=request.user),
            gettext("标记为重复"),
        )

    @admin.action(description=_("驳回（填写原因）"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        reason = (request.POST.get("reason") or "").strip()
        self._each(
            request,
            queryset,
            lambda r: services.report_step(report=r, action="reject", actor=request.user, reason=reason),
            gettext("驳回"),
        )

    @admin.action(description=_("重新打开"), permissions=["change"])
    def reopen(self, request: HttpRequest, queryset: QuerySet) -> None:
        reason = (request.POST.get("reason") or "").strip()
        self._each(
            request,
            queryset,
            lambda r: services.report_reopen(report=r, actor=request.user, reason=reason),
            gettext("重新打开"),
        )

    class Media:
        css = {"all": ("leaflet/leaflet.css",)}
        # The project's JavaScript catalog (gettext() of admin_map.js), after the admin's own jsi18n.
        js = ("leaflet/leaflet.js", "js/leaflet-setup.js", reverse_lazy("javascript-catalog"), "reports/admin_map.js")


@admin.register(ResponseTeam)
class ResponseTeamAdmin(StreetScopedAdmin):
    list_display = ("name", "street", "on_duty", "is_district_fallback", "has_webhook", "sms_phone")
    list_filter = ("on_duty", "is_district_fallback")
    list_select_related = ("street",)
    filter_horizontal = ("categories", "members")
    search_fields = ("name",)
    # Webhooks are https only (reports/netguard.py): a URL typed without a scheme means https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description=_("Webhook"), boolean=True)
    def has_webhook(self, obj: ResponseTeam) -> bool:
        return bool(obj.webhook_url)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "members" and not user_sees_all_streets(request.user):
            # Street staff pick only their own street's team accounts.
            kwargs["queryset"] = people_for_user(request.user).filter(role="team_member")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if user_sees_all_streets(request.user):
            return ()
        return ("is_district_fallback",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Categories and their SLAs are the district's to set; street staff may look."""

    list_display = (
        "name",
        "code",
        "arrival_sla_minutes",
        "resolution_sla_minutes",
        "urgent",
        "is_active",
        "sort_order",
    )
    list_editable = ("sort_order",)

    def _district(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._district(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._district(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._district(request)
