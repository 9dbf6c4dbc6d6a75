from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Activity, Registration


class SessionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ActivityOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    title = serializers.CharField()
    place = serializers.CharField()
    street = serializers.CharField(source="street.name")
    organiser = serializers.SerializerMethodField()
    lng = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    distance_m = serializers.SerializerMethodField()
    capacity = serializers.IntegerField()
    remaining = serializers.IntegerField()
    family_allowed = serializers.BooleanField()
    child_min_age = serializers.IntegerField(allow_null=True)
    child_max_age = serializers.IntegerField(allow_null=True)
    audience = serializers.CharField()
    signup_deadline = serializers.DateTimeField(allow_null=True)
    first_start = serializers.DateTimeField(allow_null=True)
    sessions = SessionOutputSerializer(many=True, source="sessions.all")

    def get_organiser(self, obj: Activity) -> str:
        return obj.organiser_branch.name if obj.organiser_branch else obj.street.name

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_lng(self, obj: Activity) -> float | None:
        return round(obj.point.x, 6) if obj.point else None

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_lat(self, obj: Activity) -> float | None:
        return round(obj.point.y, 6) if obj.point else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_distance_m(self, obj: Activity) -> int | None:
        distance = getattr(obj, "distance", None)
        return round(distance.m) if distance is not None else None


class ActivityDetailOutputSerializer(ActivityOutputSerializer):
    description = serializers.CharField()
    status = serializers.CharField()


class PersonSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    relationship = serializers.ChoiceField(choices=["self", "spouse", "child", "parent", "other"])
    age = serializers.IntegerField(min_value=0, max_value=120, required=False, allow_null=True)


class RegistrationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    activity = serializers.SerializerMethodField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    people = serializers.IntegerField()
    persons = PersonSerializer(many=True, source="persons.all")
    qr_token = serializers.SerializerMethodField()
    checkin_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.DictField())
    def get_activity(self, obj: Registration) -> dict:
        return {"id": obj.activity_id, "title": obj.activity.title}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_qr_token(self, obj: Registration) -> str | None:
        return obj.qr_token if obj.status == Registration.Status.CONFIRMED else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_checkin_url(self, obj: Registration) -> str | None:
        if obj.status != Registration.Status.CONFIRMED:
            return None
        url = reverse("partybranch:scan", args=[obj.qr_token])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class HoursOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    team = serializers.CharField(source="team.name", default=None)
    activity = serializers.CharField(source="activity.title", default=None)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True)
    hours = serializers.DecimalField(max_digits=6, decimal_places=2)
    source = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    note = serializers.CharField()


class StaffHoursOutputSerializer(HoursOutputSerializer):
    person = serializers.CharField(source="person.__str__")
    street = serializers.CharField(source="street.name")


class SummarySerializer(serializers.Serializer):
    approved = serializers.DecimalField(max_digits=8, decimal_places=2)
    pending = serializers.DecimalField(max_digits=8, decimal_places=2)
    milestones = serializers.ListField(child=serializers.DictField())
    next_milestone = serializers.IntegerField(allow_null=True)
    to_next = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)


class BranchOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    committee = serializers.CharField(source="committee.name")
    industry = serializers.CharField(source="committee.industry")
    street = serializers.CharField(source="street.code")
    secretary = serializers.CharField(source="secretary.__str__", default=None)
    meeting_place = serializers.CharField()
    member_count = serializers.IntegerField()


class MembershipOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="user.name")
    phone = serializers.CharField(source="user.masked_phone")
    role = serializers.CharField()
    status = serializers.CharField()
    joined_on = serializers.DateField(allow_null=True)
    transferred_in_on = serializers.DateField(allow_null=True)
    transferred_from = serializers.CharField(source="transferred_from.name", default=None)
    transferred_out_on = serializers.DateField(allow_null=True)
    transferred_to = serializers.CharField(source="transferred_to.name", default=None)
