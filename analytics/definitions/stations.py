from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from chaoyang_friendly.csvexport import Column
from stations.models import Station, Visit

from ..expressions import Concat, choice_label
from ..registry import ExportDefinition, register


@register
class StationVisitsExport(ExportDefinition):
    """Every QR check-in (the large one: ~58,000 rows a day)."""

    name = "station-visits"
    title = "驿站签到明细"
    street_lookup = "station__street"
    date_lookup = "created_at"
    columns = [
        Column("id", "编号", "id", "number"),
        Column("created_at", "签到时间", "checked in at", "datetime"),
        Column("station_code", "驿站编码", "station code"),
        Column("station_name", "驿站", "station"),
        Column("street_name", "街道", "street"),
        Column("rider_phone", "骑手手机", "rider phone", "phone"),
    ]

    def base_queryset(self) -> QuerySet:
        return Visit.objects.all()

    def rows(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by().values(
            "id",
            "created_at",
            station_code=F("station__code"),
            station_name=F("station__name"),
            street_name=F("station__street__name"),
            rider_phone=F("rider__phone"),
        )


@register
class StationVisitsDailyExport(ExportDefinition):
    name = "station-visits-daily"
    title = "驿站每日签到人次（按驿站）"
    street_lookup = "station__street"
    date_lookup = "created_at"
    columns = [
        Column("day", "日期", "date", "date"),
        Column("station_code", "驿站编码", "station code"),
        Column("station_name", "驿站", "station"),
        Column("street_name", "街道", "street"),
        Column("visits", "签到人次", "visits", "number"),
        Column("riders", "骑手人数", "riders", "number"),
    ]

    def base_queryset(self) -> QuerySet:
        return Visit.objects.all()

    def rows(self, queryset: QuerySet) -> QuerySet:
        return (
            queryset.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .values("day", "station")
            .annotate(
                station_code=F("station__code"),
                station_name=F("station__name"),
                street_name=F("station__street__name"),
                visits=Count("id"),
                riders=Count("rider", distinct=True),
            )
            .order_by("day", "station")
        )


@register
class StationsExport(ExportDefinition):
    name = "stations"
    title = "驿站、友好商户与换电充电点"
    date_lookup = None  # a register of what exists now
    admin_model = "stations.Station"
    columns = [
        Column("code", "编码", "code"),
        Column("name", "名称", "name"),
        Column("kind_label", "类型", "kind"),
        Column("status_label", "状态", "status"),
        Column("street_name", "街道", "street"),
        Column("address", "地址", "address"),
        Column("host_org", "运营单位", "host"),
        Column("opening_hours", "开放时间", "opening hours"),
        Column("amenity_names", "服务设施", "amenities"),
        Column("charging_ports", "充电接口", "charging ports", "number"),
        Column("swap_ports", "换电接口", "battery-swap ports", "number"),
        Column("parking_spots", "停车位", "parking spots", "number"),
        Column("lng", "经度", "lng", "number"),
        Column("lat", "纬度", "lat", "number"),
        Column("last_verified_at", "最近核实", "last verified", "datetime"),
    ]

    def base_queryset(self) -> QuerySet:
        return Station.objects.all()

    def rows(self, queryset: QuerySet):  # type: ignore[no-untyped-def]
        rows = (
            queryset.annotate(
                amenity_names=Concat("amenities__name", distinct=True),
                kind_label=choice_label("kind", Station.Kind.choices),
                status_label=choice_label("status", Station.Status.choices),
                street_name=F("street__name"),
            )
            .order_by("street__code", "code")
            .values(*[c.key for c in self.columns if c.key not in {"lng", "lat"}], "point")
        )
        # The point comes back as a geometry; split it into two numeric columns as rows stream by.
        return (
            dict(row, lng=round(row["point"].x, 6), lat=round(row["point"].y, 6))
            for row in rows.iterator(chunk_size=2000)
        )
