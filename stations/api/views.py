"""The stations API: nearest stations (public), one station, QR check-in and feedback (riders), and the
coverage figures (staff). Reads through selectors, writes through one service call."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsRider, IsStaff
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.renderers import FastJSONRenderer

from .. import selectors, services
from ..coverage import coverage_by_street
from .params import MAX_LIMIT, MAX_RADIUS_M, MAX_TEXT, parse_nearby
from .serializers import (
    CheckinOutputSerializer,
    CoverageRowSerializer,
    FeatureCollectionSchema,
    FeedbackInputSerializer,
    station_collection,
    station_detail_feature,
)


class StationListApi(APIView):
    """Nearest active stations first, as GeoJSON with `distance_m` (geodesic metres)."""

    # Public and the same for everyone: no authentication work on every rider's map request.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("lng", OpenApiTypes.DOUBLE, description="经度 (WGS-84, or GCJ-02 with crs=gcj02)"),
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, description="纬度"),
            OpenApiParameter("crs", OpenApiTypes.STR, enum=["wgs84", "gcj02"]),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"default 20, max {MAX_LIMIT}"),
            OpenApiParameter("radius", OpenApiTypes.DOUBLE, description=f"metres, max {MAX_RADIUS_M}"),
            OpenApiParameter("kind", OpenApiTypes.STR, many=True),
            OpenApiParameter("amenity", OpenApiTypes.STR, many=True, description="all must match"),
            OpenApiParameter("open_now", OpenApiTypes.BOOL),
            OpenApiParameter("in_bbox", OpenApiTypes.STR, description="min_lng,min_lat,max_lng,max_lat"),
            OpenApiParameter("q", OpenApiTypes.STR, description=f"part of the name or address, max {MAX_TEXT}"),
        ],
        responses=FeatureCollectionSchema,
        operation_id="stations_nearby",
    )
    def get(self, request: Request) -> Response:
        query = parse_nearby(request.query_params)
        stations = selectors.station_nearby(query=query)
        return Response(station_collection(stations, origin=query.point))


class StationDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="stations_detail")
    def get(self, request: Request, pk: int) -> Response:
        return Response(station_detail_feature(selectors.station_public_get(pk=pk)))


class StationCheckinApi(APIView):
    """A rider checks in at the station with this QR code; a repeat within 30 minutes returns the visit."""

    permission_classes = [IsRider]

    @extend_schema(request=None, responses=CheckinOutputSerializer)
    def post(self, request: Request, code: str) -> Response:
        station = selectors.station_by_code(code=code)
        visit, created = services.visit_checkin(station=station, rider=request.user)
        body = CheckinOutputSerializer(
            {"visit_id": visit.pk, "station": station.pk, "created_at": visit.created_at, "created": created}
        ).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class StationFeedbackApi(APIView):
    permission_classes = [IsRider]

    @extend_schema(request=FeedbackInputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        data = FeedbackInputSerializer(data=request.data)
        if not data.is_valid():
            field = next(iter(data.errors))
            raise ApplicationError(" ".join(str(e) for e in data.errors[field]), extra={"parameter": field})
        station = selectors.station_public_get(pk=pk)
        feedback = services.feedback_submit(station=station, rider=request.user, **data.validated_data)
        return Response({"id": feedback.pk, "kind": feedback.kind}, status=status.HTTP_201_CREATED)


class StationCoverageApi(APIView):
    """Per street: share of its area within COVERAGE_DISTANCE_M of an active station."""

    permission_classes = [IsStaff]

    @extend_schema(responses=CoverageRowSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = coverage_by_street()
        return Response(
            {
                "distance_m": settings.COVERAGE_DISTANCE_M,
                "streets": [r.as_dict() for r in rows],
            }
        )
