from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from chaoyang_friendly.geo import wgs84_to_gcj02

from ..models import Report, ReportEvent, ReportPhoto


class CategoryOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    urgent = serializers.BooleanField()
    arrival_sla_minutes = serializers.IntegerField()
    resolution_sla_minutes = serializers.IntegerField()


class PhotoOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()

    def _abs(self, field) -> str:  # type: ignore[no-untyped-def]
        request = self.context.get("request")
        url = field.url
        return request.build_absolute_uri(url) if request else url

    def get_url(self, obj: ReportPhoto) -> str:
        return self._abs(obj.image)

    def get_thumbnail_url(self, obj: ReportPhoto) -> str:
        return self._abs(obj.thumbnail)


class EventOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField(source="rider_label")
    at = serializers.DateTimeField()
    note = serializers.CharField(source="rider_note")
    actor = serializers.SerializerMethodField()

    def get_actor(self, obj: ReportEvent) -> str:
        """A role label, not a person: riders never see staff names or numbers."""
        if obj.actor is None:
            return str(_("系统"))
        return obj.actor.get_role_display()


class ReportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    status_note = serializers.CharField()
    category = CategoryOutputSerializer()
    description = serializers.CharField()
    lng = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    gcj02 = serializers.SerializerMethodField()
    street = serializers.CharField(source="street.name", default=None)
    created_at = serializers.DateTimeField()
    arrival_due_at = serializers.DateTimeField()
    resolve_due_at = serializers.DateTimeField()
    supporter_count = serializers.IntegerField(default=0)
    photos = PhotoOutputSerializer(many=True)

    def get_lng(self, obj: Report) -> float:
        return round(obj.point.x, 6)

    def get_lat(self, obj: Report) -> float:
        return round(obj.point.y, 6)

    def get_gcj02(self, obj: Report) -> dict:
        lng, lat = wgs84_to_gcj02(obj.point.x, obj.point.y)
        return {"lng": round(lng, 6), "lat": round(lat, 6)}


class ReportDetailOutputSerializer(ReportOutputSerializer):
    team = serializers.CharField(source="team.name", default=None)
    events = EventOutputSerializer(many=True)


class NearbyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status_label = serializers.CharField(source="get_status_display")
    category = serializers.CharField(source="category.name")
    description = serializers.CharField()
    distance_m = serializers.SerializerMethodField()
    supporter_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_distance_m(self, obj: Report) -> int:
        return round(obj.distance.m)

    def get_thumbnail_url(self, obj: Report) -> str | None:
        """The first "before" photo's thumbnail (null when the report has none)."""
        photos = getattr(obj, "before_photos", None)
        if photos is None:
            photos = [p for p in obj.photos.all() if p.kind == ReportPhoto.Kind.BEFORE]
        if not photos:
            return None
        request = self.context.get("request")
        url = photos[0].thumbnail.url
        return request.build_absolute_uri(url) if request else url
