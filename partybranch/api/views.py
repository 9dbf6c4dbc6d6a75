"""The activities API: riders browse and sign up, street staff scan families in and review hours.

One view per operation; reads through selectors, writes through one service call.
"""

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import IsStaff
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.geo import make_point
from chaoyang_friendly.scoping import get_object_for_user

from .. import selectors, services
from ..models import Activity, Branch, Membership, Registration, Session, VolunteerHours, VolunteerTeam
from .serializers import (
    ActivityDetailOutputSerializer,
    ActivityOutputSerializer,
    BranchOutputSerializer,
    HoursOutputSerializer,
    MembershipOutputSerializer,
    PersonSerializer,
    RegistrationOutputSerializer,
    StaffHoursOutputSerializer,
    SummarySerializer,
)


class IsStreetStaff(BasePermission):
    """Street staff act on their own street; district analysts only read (superusers may do all)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and user.is_active and (user.is_superuser or user.role == Role.STREET_STAFF)
        )


def _flag(value: str | None) -> bool:
    return (value or "").lower() in {"1", "true", "yes", "on"}


class ActivityListApi(ListAPIView):
    """Published activities: upcoming by default, filter by kind and "family welcome", near a point."""

    permission_classes = [AllowAny]
    serializer_class = ActivityOutputSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=Activity.Kind.values),
            OpenApiParameter("family_welcome", bool),
            OpenApiParameter("upcoming", bool, description="default true"),
            OpenApiParameter("lng", float),
            OpenApiParameter("lat", float),
            OpenApiParameter("crs", str, enum=["wgs84", "gcj02"]),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        params = self.request.query_params
        kind = params.get("kind") or None
        if kind and kind not in Activity.Kind.values:
            raise ApplicationError("kind: " + ", ".join(Activity.Kind.values))
        near = None
        if params.get("lng") or params.get("lat"):
            near = make_point(params.get("lng"), params.get("lat"), crs=params.get("crs", "wgs84"))
        return selectors.activity_list_for_rider(
            kind=kind,
            family_welcome=_flag(params.get("family_welcome")),
            near=near,
            upcoming=params.get("upcoming", "1") != "0",
        )


class ActivityDetailApi(RetrieveAPIView):
    """One published activity with its sessions, rules and remaining places."""

    permission_classes = [AllowAny]
    serializer_class = ActivityDetailOutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.activity_list_for_rider(upcoming=False)


class RegistrationListCreateApi(ListAPIView):
    """GET: the caller's own sign-ups. POST: sign up with family members (the caller comes first, added
    automatically); confirmed if everyone fits, else waitlisted together."""

    permission_classes = [IsAuthenticated]
    serializer_class = RegistrationOutputSerializer

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RegistrationCreateInput"

        activity = serializers.IntegerField()
        age = serializers.IntegerField(min_value=0, max_value=120, required=False, allow_null=True)
        family = PersonSerializer(many=True, required=False, default=list)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        return selectors.registration_list_for_rider(user=self.request.user)

    @extend_schema(request=InputSerializer, responses={201: RegistrationOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        try:
            activity = selectors.activity_get_published(pk=v["activity"])
        except Activity.DoesNotExist:
            raise Http404 from None
        me = {"name": request.user.name or request.user.masked_phone, "relationship": "self", "age": v.get("age")}
        registration = services.registration_create(
            activity=activity, rider=request.user, people=[me, *v["family"]], actor=request.user
        )
        registration = selectors.registration_get_for_rider(user=request.user, pk=registration.pk)
        return Response(RegistrationOutputSerializer(registration, context={"request": request}).data, status=201)


def _own_registration(request: Request, pk: int) -> Registration:
    try:
        return selectors.registration_get_for_rider(user=request.user, pk=pk)
    except Registration.DoesNotExist:
        raise Http404 from None


class RegistrationDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RegistrationOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        registration = _own_registration(request, pk)
        return Response(RegistrationOutputSerializer(registration, context={"request": request}).data)


class RegistrationCancelApi(APIView):
    """Cancel the caller's sign-up (idempotent); freed places go to the waitlist automatically."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=RegistrationOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        registration = services.registration_cancel(registration=_own_registration(request, pk), actor=request.user)
        registration = _own_registration(request, registration.pk)
        return Response(RegistrationOutputSerializer(registration, context={"request": request}).data)


class SessionScanApi(APIView):
    """Staff scan a family's QR code: `checkin` marks every person present (a second scan says so);
    `checkout` closes a volunteer's hours."""

    permission_classes = [IsStreetStaff]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionScanInput"

        qr_token = serializers.CharField(max_length=300)
        action = serializers.ChoiceField(choices=["checkin", "checkout"], default="checkin")

    @extend_schema(
        request=InputSerializer,
        responses=inline_serializer(
            "ScanResult",
            {
                "registration": serializers.IntegerField(),
                "already_checked_in": serializers.BooleanField(),
                "checked_in": serializers.IntegerField(),
                "persons": PersonSerializer(many=True),
                "hours": HoursOutputSerializer(allow_null=True),
            },
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        session = get_object_for_user(Session.objects.select_related("activity"), request.user, pk=pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        if v["action"] == "checkout":
            hours = services.attendance_checkout(session=session, qr_token=v["qr_token"], actor=request.user)
            return Response(
                {
                    "registration": hours.attendance.person.registration_id if hours.attendance else None,
                    "already_checked_in": True,
                    "checked_in": 0,
                    "persons": [],
                    "hours": HoursOutputSerializer(hours).data,
                }
            )
        result = services.attendance_scan(session=session, qr_token=v["qr_token"], actor=request.user)
        return Response(
            {
                "registration": result.registration.pk,
                "already_checked_in": result.already_checked_in,
                "checked_in": result.checked_in,
                "persons": PersonSerializer(result.persons, many=True).data,
                "hours": HoursOutputSerializer(result.hours).data if result.hours else None,
            },
            status=201 if result.checked_in else 200,
        )


class HoursListCreateApi(APIView):
    """GET: the caller's hours with totals and milestones. POST: self-declare hours (pending until approved)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "HoursDeclareInput"

        team = serializers.IntegerField(required=False, allow_null=True)
        activity = serializers.IntegerField(required=False, allow_null=True)
        start = serializers.DateTimeField()
        end = serializers.DateTimeField()
        note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(
        responses=inline_serializer(
            "MyHours", {"summary": SummarySerializer(), "results": HoursOutputSerializer(many=True)}
        )
    )
    def get(self, request: Request) -> Response:
        summary = selectors.hours_summary(user=request.user)
        hours = selectors.hours_list_for_person(user=request.user)[:200]
        return Response(
            {"summary": SummarySerializer(summary).data, "results": HoursOutputSerializer(hours, many=True).data}
        )

    @extend_schema(request=InputSerializer, responses={201: HoursOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        team = VolunteerTeam.objects.filter(pk=v.get("team")).first() if v.get("team") else None
        activity = Activity.objects.published().filter(pk=v.get("activity")).first() if v.get("activity") else None
        if (v.get("team") and team is None) or (v.get("activity") and activity is None):
            raise Http404
        hours = services.hours_self_declare(
            person=request.user,
            team=team,
            activity=activity,
            start=v["start"],
            end=v["end"],
            note=v["note"],
            actor=request.user,
        )
        return Response(HoursOutputSerializer(hours).data, status=201)


class HoursQueueApi(ListAPIView):
    """Staff: pending hours of their street, oldest first."""

    permission_classes = [IsStaff]
    serializer_class = StaffHoursOutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.hours_queue_for_staff(user=self.request.user)


class HoursReviewApi(APIView):
    """Staff approve or reject pending hours of their own street (another street's: 404)."""

    permission_classes = [IsStreetStaff]
    decision = "approve"

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "HoursReviewInput"

        reason = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=StaffHoursOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        hours = get_object_for_user(VolunteerHours.objects.all(), request.user, pk=pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if self.decision == "approve":
            hours = services.hours_approve(hours=hours, actor=request.user)
        else:
            hours = services.hours_reject(hours=hours, actor=request.user, reason=serializer.validated_data["reason"])
        hours = VolunteerHours.objects.select_related("person", "team", "activity", "street").get(pk=hours.pk)
        return Response(StaffHoursOutputSerializer(hours).data)


class BranchListApi(ListAPIView):
    """Staff: the branches of their street (all streets for district staff) with active member counts."""

    permission_classes = [IsStaff]
    serializer_class = BranchOutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.branch_list_for_staff(user=self.request.user)


class BranchMemberListApi(ListAPIView):
    """Staff: the members of one branch of their street (another street's: 404)."""

    permission_classes = [IsStaff]
    serializer_class = MembershipOutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        branch = get_object_for_user(Branch.objects.all(), self.request.user, pk=self.kwargs["pk"])
        return selectors.membership_list_for_staff(user=self.request.user, branch=branch)
