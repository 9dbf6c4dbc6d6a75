from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from ..models import Application, Gender, HouseholdKind, Lease, Offer, Project, RoomType

# --- filters and inputs ------------------------------------------------------------------------------


class ProjectFilterSerializer(serializers.Serializer):
    rent_max = serializers.IntegerField(
        required=False, min_value=settings.HOUSING_RENT_FILTER_MIN, max_value=settings.HOUSING_RENT_FILTER_MAX
    )
    room_type = serializers.ChoiceField(choices=RoomType.Kind.choices, required=False)
    has_vacancy = serializers.BooleanField(required=False, default=None, allow_null=True)
    lng = serializers.CharField(required=False)
    lat = serializers.CharField(required=False)
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02"], required=False, default="wgs84")
    radius_km = serializers.FloatField(required=False, min_value=0.1, max_value=50)

    def validate(self, attrs: dict) -> dict:
        if ("lng" in attrs) != ("lat" in attrs):
            raise serializers.ValidationError(_("lng 和 lat 需要同时提供。"))
        if "radius_km" in attrs and "lng" not in attrs:
            raise serializers.ValidationError(_("radius_km 需要同时提供 lng 和 lat。"))
        return attrs


class HouseholdMemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    relation = serializers.CharField(max_length=20)


class ApplicationInputSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    room_types = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=10)
    household_kind = serializers.ChoiceField(choices=HouseholdKind.choices)
    gender = serializers.ChoiceField(choices=Gender.choices)
    move_in_date = serializers.DateField()
    household_members = HouseholdMemberSerializer(many=True, required=False, default=list)
    work_lng = serializers.CharField(required=False)
    work_lat = serializers.CharField(required=False)
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02"], required=False, default="wgs84")


class AllocationInputSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    bed = serializers.IntegerField(required=False)
    room = serializers.IntegerField(required=False)
    start = serializers.DateField(required=False)

    def validate(self, attrs: dict) -> dict:
        if ("bed" in attrs) == ("room" in attrs):
            raise serializers.ValidationError(_("请提供 bed 或 room 其中之一。"))
        return attrs


# --- outputs -----------------------------------------------------------------------------------------


class RoomTypeOutputSerializer(serializers.ModelSerializer):
    vacancies = serializers.IntegerField(read_only=True)
    vacant_beds = serializers.IntegerField(read_only=True)
    total_beds = serializers.IntegerField(read_only=True)
    vacant_rooms = serializers.IntegerField(read_only=True)
    total_rooms = serializers.IntegerField(read_only=True)

    class Meta:
        model = RoomType
        fields = (
            "id",
            "name",
            "kind",
            "beds_per_room",
            "rent_mode",
            "rent",
            "deposit",
            "household",
            "vacancies",
            "vacant_beds",
            "total_beds",
            "vacant_rooms",
            "total_rooms",
        )


class ProjectOutputSerializer(GeoFeatureModelSerializer):
    point = GeometryField(precision=6)
    street = serializers.SlugRelatedField(slug_field="code", read_only=True)
    street_name = serializers.CharField(source="street.name", read_only=True)
    amenities = serializers.ListField(child=serializers.CharField(), read_only=True)
    amenity_labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    rent_min = serializers.IntegerField(read_only=True, allow_null=True)
    rent_max = serializers.IntegerField(read_only=True, allow_null=True)
    total_beds = serializers.IntegerField(read_only=True)
    vacant_beds = serializers.IntegerField(read_only=True)
    distance_m = serializers.SerializerMethodField()
    room_types = RoomTypeOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        geo_field = "point"
        fields = (
            "id",
            "name",
            "street",
            "street_name",
            "address",
            "operator",
            "phone",
            "amenities",
            "amenity_labels",
            "status",
            "rent_min",
            "rent_max",
            "total_beds",
            "vacant_beds",
            "distance_m",
            "room_types",
        )

    def get_distance_m(self, obj: Project) -> int | None:
        distance = getattr(obj, "distance", None)
        return round(distance.m) if distance is not None else None


class ProjectDetailOutputSerializer(ProjectOutputSerializer):
    photos = serializers.SerializerMethodField()

    class Meta(ProjectOutputSerializer.Meta):
        fields = (*ProjectOutputSerializer.Meta.fields, "description", "photos")

    def get_photos(self, obj: Project) -> list[dict]:
        return [{"url": p.image.url, "caption": p.caption} for p in obj.photos.all()]


class OfferOutputSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit_label", read_only=True)
    project = serializers.CharField(source="room_type.project.name", read_only=True)
    rent = serializers.IntegerField(source="room_type.rent", read_only=True)

    class Meta:
        model = Offer
        fields = ("id", "application", "project", "room_type", "bed", "room", "unit", "rent", "deadline", "status")


class ApplicationOutputSerializer(serializers.ModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True)
    room_types = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    failures = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = (
            "id",
            "project",
            "project_name",
            "room_types",
            "household_kind",
            "gender",
            "household_members",
            "move_in_date",
            "priority",
            "status",
            "reason",
            "failures",
            "created_at",
        )

    def get_failures(self, obj: Application) -> list[str]:
        return [r["message"] for r in obj.eligibility or [] if not r.get("ok")]


class ApplicationDetailOutputSerializer(ApplicationOutputSerializer):
    positions = serializers.SerializerMethodField()
    offer = serializers.SerializerMethodField()

    class Meta(ApplicationOutputSerializer.Meta):
        fields = (*ApplicationOutputSerializer.Meta.fields, "positions", "offer")

    def get_positions(self, obj: Application) -> dict[str, int]:
        """{room type id: place in its queue} while waitlisted."""
        from ..services import application_waitlist_positions

        return {str(k): v for k, v in application_waitlist_positions(application=obj).items()}

    def get_offer(self, obj: Application) -> dict | None:
        offer = (
            obj.offers.open()
            .select_related("room_type__project", "bed__room__room_type__project", "room__room_type__project")
            .first()
        )
        return OfferOutputSerializer(offer).data if offer else None


class LeaseOutputSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit_label", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)

    class Meta:
        model = Lease
        fields = (
            "id",
            "project",
            "project_name",
            "bed",
            "room",
            "unit",
            "tenant",
            "application",
            "start",
            "end",
            "monthly_rent",
            "deposit",
            "status",
        )
