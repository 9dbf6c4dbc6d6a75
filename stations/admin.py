"""Street staff keep their stations accurate here: a map widget, filters, search, import from XLSX/CSV,
"mark verified", a printable QR sheet, and (district staff) the coverage map. Writes go through services."""

import threading
from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from accounts.models import Role, User
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.scoping import StreetScopedAdmin, user_sees_all_streets, user_street_id
from jurisdictions.models import Street

from . import services, workdays
from .coverage import coverage_by_street, coverage_geojson
from .forms import CalendarDayForm, FullWidthLabels
from .hours import HoursClock, describe
from .models import Amenity, CalendarDay, Feedback, Station, StationEvent, Visit
from .resources import StationResource
from .widgets import HoursEditorWidget


class UnverifiedFilter(admin.SimpleListFilter):
    title = _("核实情况")
    parameter_name = "unverified"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        days = settings.STATIONS_VERIFY_MAX_AGE_DAYS
        return [("yes", _("超过%(days)s天未核实") % {"days": days}), ("no", _("近期已核实"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        cutoff = timezone.now() - timedelta(days=settings.STATIONS_VERIFY_MAX_AGE_DAYS)
        if self.value() == "yes":
            return queryset.unverified_since(cutoff)
        if self.value() == "no":
            return queryset.filter(last_verified_at__gte=cutoff)
        return queryset


class StationAdminForm(FullWidthLabels, forms.ModelForm):
    class Meta:
        model = Station
        fields = (
            "name",
            "kind",
            "status",
            "point",
            "address",
            "opening_hours",
            "amenities",
            "charging_ports",
            "swap_ports",
            "parking_spots",
            "host_org",
            "phone",
            "photo",
            "notes",
        )
        widgets = {"opening_hours": HoursEditorWidget}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        point = data.get("point")
        if point is not None:
            try:
                self.instance.street = services.station_street_for(point=point, actor=self.actor)
            except ApplicationError as exc:
                self.add_error("point", str(exc.message))
        return data


class FeedbackInline(admin.TabularInline):
    model = Feedback
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "comment", "status", "assignee", "reply")
    readonly_fields = fields
    ordering = ("-created_at",)
    max_num = 0
    show_change_link = True


def event_details(event: StationEvent) -> str:
    """An event's data in words: "修改了：名称、营业时间", "反馈：设施损坏", never raw JSON."""
    data = event.data or {}
    if event.kind in (StationEvent.Kind.CREATED, StationEvent.Kind.IMPORTED) and data.get("name"):
        return gettext("名称：%(name)s") % {"name": data["name"]}
    if event.kind == StationEvent.Kind.UPDATED:
        names = []
        for field in data.get("fields", []):
            try:
                names.append(str(Station._meta.get_field(field).verbose_name))
            except FieldDoesNotExist:  # a field since removed: its name as stored
                names.append(field)
        return gettext("修改了：%(fields)s") % {"fields": "、".join(names)} if names else gettext("保存（未改动）")
    if event.kind == StationEvent.Kind.FEEDBACK and data.get("kind"):
        kinds = dict(Feedback.Kind.choices)
        return gettext("反馈：%(kind)s") % {"kind": kinds.get(data["kind"], data["kind"])}
    if event.kind == StationEvent.Kind.FEEDBACK_HANDLED:
        statuses = dict(Feedback.Status.choices)
        text = gettext("反馈 #%(id)s：%(status)s") % {
            "id": data.get("feedback", "?"),
            "status": statuses.get(data.get("status"), data.get("status", "")),
        }
        if "reply" in data.get("fields", []):
            text += gettext("（已回复骑手）")
        return text
    if not data:
        return "—"
    return "，".join(f"{key}：{value}" for key, value in data.items())


class StationEventInline(admin.TabularInline):
    model = StationEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor", "details")
    readonly_fields = fields
    ordering = ("-created_at",)
    max_num = 0

    @admin.display(description=_("详情"))
    def details(self, obj: StationEvent) -> str:
        return event_details(obj)


_clock_local = threading.local()


def _clock() -> HoursClock:
    """The list page's clock: every row judged at the same minute, the calendar read once, not per row."""
    return getattr(_clock_local, "clock", None) or HoursClock()


@admin.register(Station)
class StationAdmin(ImportExportMixin, StreetScopedAdmin):
    form = StationAdminForm
    resource_classes = [StationResource]
    list_display = (
        "name",
        "kind",
        "status",
        "street_name",
        "hours_badge",
        "charging_ports",
        "swap_ports",
        "last_verified_at",
        "qr_link",
    )
    list_filter = ("kind", "status", "amenities", UnverifiedFilter)
    search_fields = ("name", "address", "code", "host_org")
    import_export_change_list_template = "admin/stations/station/change_list.html"
    readonly_fields = (
        "code",
        "street",
        "hours_for_riders",
        "last_verified_at",
        "last_verified_by",
        "created_at",
        "updated_at",
    )
    filter_horizontal = ("amenities",)
    actions = ["mark_verified"]
    inlines = [FeedbackInline, StationEventInline]
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("name", "kind", "status", "code", "street")}),
        (_("位置"), {"fields": ("point", "address")}),
        (
            _("服务"),
            {
                "fields": (
                    "opening_hours",
                    "hours_for_riders",
                    "amenities",
                    "charging_ports",
                    "swap_ports",
                    "parking_spots",
                )
            },
        ),
        (_("联系"), {"fields": ("host_org", "phone", "photo", "notes")}),
        (_("核实"), {"fields": ("last_verified_at", "last_verified_by", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The street's boundary is a large multipolygon: never load it per row.
        return super().get_queryset(request).select_related("street").defer("street__boundary", "street__centre")

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        _clock_local.clock = HoursClock()
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()
            return response
        finally:
            _clock_local.clock = None

    def get_list_filter(self, request: HttpRequest) -> Any:
        if user_sees_all_streets(request.user):
            return ("kind", "status", "amenities", "street", UnverifiedFilter)
        return self.list_filter

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request: HttpRequest, obj: Station, form: Any, change: bool) -> None:
        services.station_save(station=obj, actor=request.user, changed=form.changed_data, is_new=not change)

    @admin.display(description=_("街道"), ordering="street__code")
    def street_name(self, obj: Station) -> str:
        return obj.street.name

    @admin.display(description=_("现在"))
    def hours_badge(self, obj: Station) -> str:
        return _clock().state(obj.opening_hours).label

    @admin.display(description=_("骑手看到的营业时间"))
    def hours_for_riders(self, obj: Station) -> str:
        return describe(obj.opening_hours) or gettext("未知")

    @admin.display(description=_("二维码"))
    def qr_link(self, obj: Station) -> str:
        return format_html('<a href="{}" target="_blank">{}</a>', reverse("stations:qr_svg", args=[obj.pk]), obj.code)

    @admin.action(description=_("标记为已核实"), permissions=["change"])
    def mark_verified(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.station_verify(station_ids=list(queryset.values_list("pk", flat=True)), actor=request.user)
        self.message_user(request, gettext("已核实 %(n)s 个驿站。") % {"n": count}, messages.SUCCESS)

    def get_urls(self) -> list:
        custom = [
            path("qr-sheet/", self.admin_site.admin_view(self.qr_sheet_view), name="stations_station_qr_sheet"),
            path("coverage/", self.admin_site.admin_view(self.coverage_view), name="stations_station_coverage"),
        ]
        return custom + super().get_urls()

    def qr_sheet_view(self, request: HttpRequest) -> HttpResponse:
        """A printable A4 sheet of QR codes for one street's active stations."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        street_id = user_street_id(request.user)
        streets = Street.objects.defer("boundary").order_by("code")
        if street_id is None:
            street_id = request.GET.get("street") or None
        else:
            streets = streets.filter(pk=street_id)
        stations = (
            self.get_queryset(request).filter(street_id=street_id).exclude(status=Station.Status.DEFUNCT)
            if street_id
            else Station.objects.none()
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("驿站二维码打印页"),
            "streets": streets,
            "street_id": int(street_id) if street_id else None,
            "stations": stations.order_by("name"),
            "opts": self.model._meta,
        }
        return render(request, "admin/stations/qr_sheet.html", context)

    def coverage_view(self, request: HttpRequest) -> HttpResponse:
        """District staff: the share of each street within the 15-minute circle, and its gaps on a map."""
        if not user_sees_all_streets(request.user):
            raise PermissionDenied
        rows = coverage_by_street()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("15分钟友好服务圈覆盖率"),
            "rows": rows,
            "distance_m": settings.COVERAGE_DISTANCE_M,
            "gaps": coverage_geojson(rows),
            "opts": self.model._meta,
        }
        return render(request, "admin/stations/coverage.html", context)


@admin.register(Amenity)
class AmenityAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "icon", "sort_order")
    search_fields = ("name", "code")


class FeedbackAdminForm(FullWidthLabels, forms.ModelForm):
    class Meta:
        model = Feedback
        fields = ("status", "assignee", "reply")
        widgets = {"reply": forms.Textarea(attrs={"rows": 3, "maxlength": 500})}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            services.feedback_assignee_check(feedback=self.instance, assignee=data.get("assignee"))
        except ApplicationError as exc:
            self.add_error("assignee", str(exc.message))
        return data


@admin.register(Feedback)
class FeedbackAdmin(StreetScopedAdmin):
    """Street clerks take up riders' feedback: 待处理 → 处理中 → 已处理, who is in charge, a reply the rider sees."""

    form = FeedbackAdminForm
    list_display = ("created_at", "station", "kind", "comment_short", "status_label", "assignee", "replied")
    list_filter = ("status", "kind")
    search_fields = ("station__name", "comment")
    readonly_fields = ("station", "rider", "kind", "comment", "created_at", "replied_at", "handled_at")
    fieldsets = (
        (_("骑手的反馈"), {"fields": ("station", "rider", "kind", "comment", "created_at")}),
        (_("处理"), {"fields": ("status", "assignee", "reply", "replied_at", "handled_at")}),
    )
    list_select_related = ()
    actions = ["mark_in_progress", "mark_handled"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("station", "assignee")
            .defer("station__point", "station__notes", "station__photo")
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "assignee":
            staff = User.objects.filter(is_active=True, is_staff=True, role=Role.STREET_STAFF).order_by("name", "pk")
            street_id = user_street_id(request.user)
            kwargs["queryset"] = staff.filter(street_id=street_id) if street_id is not None else staff
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A rider's word is answered, never deleted by a street.
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Feedback, form: Any, change: bool) -> None:
        data = form.cleaned_data
        services.feedback_update(
            feedback=obj,
            actor=request.user,
            status=data["status"],
            assignee=data.get("assignee"),
            reply=data.get("reply", ""),
        )

    @admin.display(description=_("说明"))
    def comment_short(self, obj: Feedback) -> str:
        return obj.comment if len(obj.comment) <= 40 else obj.comment[:40] + "…"

    @admin.display(description=_("处理状态"), ordering="status")
    def status_label(self, obj: Feedback) -> str:
        return format_html(
            '<span class="feedback-status feedback-status-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=_("已回复"), boolean=True)
    def replied(self, obj: Feedback) -> bool:
        return bool(obj.reply)

    def _set_status(self, request: HttpRequest, queryset: QuerySet, status: str) -> None:
        count = services.feedback_set_status(
            feedback_ids=list(queryset.values_list("pk", flat=True)), actor=request.user, status=status
        )
        label = dict(Feedback.Status.choices)[status]
        self.message_user(
            request, gettext("%(n)s 条反馈已标记为“%(status)s”。") % {"n": count, "status": label}, messages.SUCCESS
        )

    @admin.action(description=_("标记为处理中（由我负责）"), permissions=["change"])
    def mark_in_progress(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, Feedback.Status.IN_PROGRESS)

    @admin.action(description=_("标记为已处理"), permissions=["change"])
    def mark_handled(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(request, queryset, Feedback.Status.HANDLED)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The district's 调休 make-up workdays and extra holidays, beyond (or correcting) the `holidays` package.
    District staff keep it (ROLE_PERMISSIONS); street staff see it."""

    form = CalendarDayForm
    list_display = ("date", "weekday", "kind", "note")
    list_filter = ("kind",)
    date_hierarchy = "date"
    change_list_template = "admin/stations/calendarday/change_list.html"

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return WEEKDAYS[obj.date.weekday()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        today = timezone.localdate()
        known = workdays.special_days(today, today + timedelta(days=365))
        extra = {"known_days": _runs(known)}
        return super().changelist_view(request, {**(extra_context or {}), **extra})


WEEKDAYS = (_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日"))


def _runs(known: tuple[tuple[date, str], ...]) -> list[dict[str, Any]]:
    """Holiday breaks as one row each (first day, last day, days); make-up workdays one row per day."""
    rows: list[dict[str, Any]] = []
    for day, kind in known:
        last = rows[-1] if rows else None
        if last and kind == workdays.HOLIDAY == last["code"] and last["last"] == day - timedelta(days=1):
            last["last"], last["days"] = day, last["days"] + 1
            continue
        rows.append({"first": day, "last": day, "days": 1, "code": kind, "kind": CalendarDay.Kind(kind).label})
    for row in rows:
        row["weekday"] = WEEKDAYS[row["first"].weekday()]
    return rows


@admin.register(Visit)
class VisitAdmin(StreetScopedAdmin):
    """Read-only: visits are append-only (QR check-ins)."""

    list_display = ("created_at", "station")
    search_fields = ("station__name", "station__code")
    show_full_result_count = False
    readonly_fields = ("station", "rider", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("station")
            .only("id", "created_at", "station__id", "station__name", "station__street_id")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
