"""The 随手拍 API: riders submit and follow their reports, teams move them, dispatch workers route and
deliver them. One view per operation; reads through selectors, writes through one service call."""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsDispatcher, IsRider, IsTeamMember
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.geo import make_point

from .. import idempotency, selectors, services
from ..models import Report
from ..payloads import dispatch_payload
from ..photos import photo_files_guard
from ..ratelimits import report_submit_rate_exceeded
from .serializers import (
    CategoryOutputSerializer,
    NearbyOutputSerializer,
    ReportDetailOutputSerializer,
    ReportOutputSerializer,
)


class _RiderOrTeam(IsRider):
    roles = IsRider.roles | IsTeamMember.roles


def _check_submit_rate(request: Request) -> None:
    if report_submit_rate_exceeded(request, reporter=request.user):
        raise Throttled(detail=_("提交过于频繁，请稍后再试。"))


class CategoryListApi(ListAPIView):
    serializer_class = CategoryOutputSerializer
    pagination_class = None

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.category_list()


class ReportListCreateApi(ListAPIView):
    """GET: the rider's own reports. POST (multipart): submit a report with up to 3 photos."""

    permission_classes = [IsRider]
    serializer_class = ReportOutputSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema_serializer(component_name="ReportSubmitInput")
    class InputSerializer(serializers.Serializer):
        category = serializers.CharField(max_length=30)
        lng = serializers.CharField(max_length=30)
        lat = serializers.CharField(max_length=30)
        crs = serializers.ChoiceField(choices=Report.Crs.choices, default=Report.Crs.WGS84)
        description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
        photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        return selectors.report_list_for_rider(user=self.request.user)

    @extend_schema(
        request=InputSerializer,
        parameters=[
            OpenApiParameter(
                idempotency.HEADER,
                str,
                OpenApiParameter.HEADER,
                description=_(
                    "可选，1–64 个可见 ASCII 字符，每次上报生成一个。同一骑手用同一键重试时返回第一次保存的随手拍"
                    "（200，同一 id），不会重复保存，也不计入提交频率限制。"
                ),
            )
        ],
        responses={201: ReportDetailOutputSerializer, 200: ReportDetailOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        submit_key = idempotency.submit_key_from_headers(request.headers)
        # A retry of a saved submission is answered before the rate limit: retries are never throttled.
        report = idempotency.report_for_submit_key(reporter=request.user, submit_key=submit_key)
        if report is None:
            _check_submit_rate(request)
            serializer = self.InputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            v = serializer.validated_data
            report = services.report_submit(
                reporter=request.user,
                category_code=v["category"],
                lng=v["lng"],
                lat=v["lat"],
                crs=v["crs"],
                description=v["description"],
                photos=v["photos"],
                submit_key=submit_key,
            )
            created = not getattr(report, "submit_replayed", False)
        else:
            created = False
        report = selectors.report_get_for_user(user=request.user, pk=report.pk)
        body = ReportDetailOutputSerializer(report, context={"request": request}).data
        return Response(body, status=201 if created else 200)


class ReportDetailApi(APIView):
    """One report with its timeline: the reporter's own, or one assigned to the caller's team (else 404)."""

    permission_classes = [_RiderOrTeam]

    @extend_schema(responses=ReportDetailOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        report = selectors.report_get_for_user(user=request.user, pk=pk)
        return Response(ReportDetailOutputSerializer(report, context={"request": request}).data)


class ReportNearbyApi(APIView):
    """Open reports of the same category within 250 m — offered as "this one? — me too" before submitting."""

    permission_classes = [IsRider]

    @extend_schema(
        parameters=[
            OpenApiParameter("category", str, required=True),
            OpenApiParameter("lng", float, required=True),
            OpenApiParameter("lat", float, required=True),
            OpenApiParameter("crs", str, enum=["wgs84", "gcj02"]),
        ],
        responses=NearbyOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        category = selectors.category_list().filter(code=params.get("category", "")).first()
        if category is None:
            raise ApplicationError(_("请选择有效的类别。"))
        point = make_point(params.get("lng"), params.get("lat"), crs=params.get("crs", "wgs84"))
        reports = selectors.report_nearby_open(
            point=point, category=category, metres=settings.REPORTS_NEARBY_METRES, rider=request.user
        )
        return Response(NearbyOutputSerializer(reports, many=True, context={"request": request}).data)


class ReportSupportApi(APIView):
    """ "Me too": add the rider as a supporter of an open report (not a duplicate report)."""

    permission_classes = [IsRider]

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "Support", {"id": serializers.IntegerField(), "supporter_count": serializers.IntegerField()}
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        report = selectors.report_for_dispatch(pk=pk)
        report = services.report_support(report=report, user=request.user)
        return Response({"id": report.pk, "supporter_count": report.supporters.count()})


class TeamReportListApi(ListAPIView):
    """The caller's team queue (reports assigned to teams the caller belongs to)."""

    permission_classes = [IsTeamMember]
    serializer_class = ReportOutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        qs = selectors.report_list_for_team(user=self.request.user)
        if self.request.query_params.get("open") == "1":
            qs = qs.filter(status__in=Report.OPEN_STATUSES)
        return qs


class ReportEventCreateApi(APIView):
    """A team moves its report: acknowledge, on_site, resolve (an "after" photo required), reject (reason)."""

    permission_classes = [IsTeamMember]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema_serializer(component_name="ReportEventInput")
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=sorted(services.TEAM_ACTIONS))
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        photo = serializers.FileField(required=False)

    @extend_schema(request=InputSerializer, responses=ReportDetailOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        report = selectors.report_get_for_team(user=request.user, pk=pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        # report_step commits when it returns: the guard around it also sees a failing COMMIT.
        with photo_files_guard():
            services.report_step(
                report=report,
                action=v["kind"],
                actor=request.user,
                reason=v["reason"],
                photos=[v["photo"]] if v.get("photo") else [],
            )
        report = selectors.report_get_for_user(user=request.user, pk=pk)
        return Response(ReportDetailOutputSerializer(report, context={"request": request}).data)


# --- Dispatch (workers, with a dispatcher token) -------------------------------------------------------
class AssignmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    street = serializers.CharField(source="street.code", default=None)
    team = serializers.IntegerField(source="team_id")
    routed_at = serializers.DateTimeField()
    arrival_due_at = serializers.DateTimeField()
    resolve_due_at = serializers.DateTimeField()


class DispatchRouteApi(APIView):
    """Assign street, team and SLA due times. Idempotent: a second call returns the same assignment.

    The answer also carries the delivery payload (team webhook/SMS, message, and whether the current team
    already has the report), read after routing, so a worker needs one call before sending.
    """

    permission_classes = [IsDispatcher]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        # One transaction: route (once) and claim; the report comes with category, street and team.
        dispatch = services.report_dispatch(report_id=pk, actor=request.user)
        report = dispatch.report
        return Response(
            {
                **AssignmentOutputSerializer(report).data,
                "dispatch": dispatch_payload(
                    report=report, request=request, attempt=dispatch.attempt, delivered=dispatch.delivered
                ),
            }
        )


class DispatchPayloadApi(APIView):
    """What the worker sends to the team (webhook URL and secret, message, SMS text) and whether the current
    team already has the report."""

    permission_classes = [IsDispatcher]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        report = selectors.report_for_dispatch(pk=pk)
        return Response(dispatch_payload(report=report, request=request))


class DispatchDeliveryCreateApi(APIView):
    """Record a delivery attempt. Requires an Idempotency-Key header: the same key gives the same answer."""

    permission_classes = [IsDispatcher]

    @extend_schema_serializer(component_name="DeliveryRecordInput")
    class InputSerializer(serializers.Serializer):
        channel = serializers.ChoiceField(choices=["webhook", "sms"])
        outcome = serializers.ChoiceField(choices=["success", "failure"])
        status_code = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=999)
        error = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
        retry_in = serializers.FloatField(required=False, allow_null=True, default=None, min_value=0, max_value=86400)

    @extend_schema(
        request=InputSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True)],
        responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        attempt, created = services.delivery_record(
            report_id=pk,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            channel=v["channel"],
            outcome=v["outcome"],
            status_code=v.get("status_code"),
            error=v["error"],
            retry_in=v["retry_in"],
            actor=request.user,
        )
        body = {
            "id": attempt.pk,
            "report": attempt.report_id,
            "team": attempt.team_id,
            "channel": attempt.channel,
            "outcome": attempt.outcome,
            "at": attempt.at.isoformat(),
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DispatchSweepApi(APIView):
    """Escalate overdue reports and list the ones to enqueue again (called by the beat task)."""

    permission_classes = [IsDispatcher]

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "Sweep",
            {
                "redispatch": serializers.ListField(child=serializers.IntegerField()),
                "escalated": serializers.ListField(child=serializers.IntegerField()),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        return Response(services.reports_sweep(actor=request.user))


class DispatchPendingApi(APIView):
    """Read-only view of what the sweeper would re-enqueue now."""

    permission_classes = [IsDispatcher]

    @extend_schema(
        responses=inline_serializer("Pending", {"redispatch": serializers.ListField(child=serializers.IntegerField())})
    )
    def get(self, request: Request) -> Response:
        return Response({"redispatch": selectors.report_ids_to_redispatch()})
