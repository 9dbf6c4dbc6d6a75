"""Street staff keep their stations accurate here: a map widget, filters, search, import from XLSX/CSV,
"mark verified", a printable QR sheet, and (district staff) the coverage map. Writes go through services."""

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.scoping import StreetScopedAdmin, user_sees_all_streets, user_street_id
from jurisdictions.models import Street

from . import services
from .coverage import coverage_by_street, coverage_geojson
from .hours import hours_state
from .models import Amenity, Feedback, Station, StationEvent, Visit
from .resources import StationResource


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


class StationAdminForm(forms.ModelForm):
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
    fields = ("created_at", "kind", "comment", "rider")
    readonly_fields = fields
    ordering = ("-created_at",)
    max_num = 0


class StationEventInline(admin.TabularInline):
    model = StationEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor", "data")
    readonly_fields = fields
    ordering = ("-created_at",)
    max_num = 0


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
    readonly_fields = ("code", "street", "last_verified_at", "last_verified_by", "created_at", "updated_at")
    filter_horizontal = ("amenities",)
    actions = ["mark_verified"]
    inlines = [FeedbackInline, StationEventInline]
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("name", "kind", "status", "code", "street")}),
        (_("位置"), {"fields": ("point", "address")}),
        (_("服务"), {"fields": ("opening_hours", "amenities", "charging_ports", "swap_ports", "parking_spots")}),
        (_("联系"), {"fields": ("host_org", "phone", "photo", "notes")}),
        (_("核实"), {"fields": ("last_verified_at", "last_verified_by", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The street's boundary is a large multipolygon: never load it per row.
        return super().get_queryset(request).select_related("street").defer("street__boundary", "street__centre")

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
        return hours_state(obj.opening_hours).label

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


@admin.register(Feedback)
class FeedbackAdmin(StreetScopedAdmin):
    list_display = ("created_at", "station", "kind", "comment")
    list_filter = ("kind",)
    search_fields = ("station__name", "comment")
    readonly_fields = ("station", "rider", "kind", "comment", "created_at", "updated_at")
    list_select_related = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("station")
            .only("id", "created_at", "kind", "comment", "station__id", "station__name", "station__street_id")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


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
