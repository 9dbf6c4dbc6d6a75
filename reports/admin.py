"""Street staff run their street's queue here: filters, a map, the timeline, and actions that each call one
service (so every change is a timeline event written in the same transaction)."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
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


class ReportActionForm(ActionForm):
    # All teams are listed (names are not private); the action accepts only the staff's own street's
    # teams and the district fallback. The form is shared by every request, so it is not narrowed here.
    team = forms.ModelChoiceField(label=_("改派给"), queryset=ResponseTeam.objects.all(), required=False)
    original = forms.IntegerField(label=_("原报告编号"), required=False, min_value=1)
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


class ReportEventInline(admin.TabularInline):
    model = ReportEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "note", "data")
    readonly_fields = fields
    ordering = ("at", "id")

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
    list_display = ("id", "category", "street", "team", "status", "created_at", "overdue_badge", "supporters_n")
    list_filter = ("status", "category", OverdueFilter, "created_at")
    list_select_related = ("category", "street", "team")
    search_fields = ("=id", "description")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
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
        from django.db.models import Count

        return super().get_queryset(request).annotate(supporters_n=Count("supporters"))

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

    @admin.display(description=_("超时"), boolean=True)
    def overdue_badge(self, obj: Report) -> bool:
        return obj.is_overdue()

    @admin.display(description=_("附议"), ordering="supporters_n")
    def supporters_n(self, obj: Report) -> int:
        return obj.supporters_n

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context["report_points"] = [
                {
                    "id": r.pk,
                    "lng": display_coords(r.point)[0],
                    "lat": display_coords(r.point)[1],
                    "label": f"#{r.pk} {r.category.name} · {r.get_status_display()}",
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
        js = ("leaflet/leaflet.js", "reports/admin_map.js")


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
