from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chaoyang_friendly.errors import OutsideDistrictError
from chaoyang_friendly.geo import make_point

from ..models import Street
from ..services import locate
from .serializers import StreetGeoSerializer, StreetSerializer


class StreetListApi(generics.ListAPIView):
    """The 43 streets/areas as a GeoJSON FeatureCollection (public)."""

    permission_classes = [AllowAny]
    serializer_class = StreetGeoSerializer
    pagination_class = None
    queryset = Street.objects.order_by("code")


class StreetLocateApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("lng", OpenApiTypes.FLOAT, required=True),
            OpenApiParameter("lat", OpenApiTypes.FLOAT, required=True),
            OpenApiParameter("crs", OpenApiTypes.STR, enum=["wgs84", "gcj02"]),
        ],
        responses={200: StreetSerializer},
    )
    def get(self, request: Request) -> Response:
        if "lng" not in request.query_params or "lat" not in request.query_params:
            return Response({"detail": _("请提供 lng 和 lat 参数。")}, status=status.HTTP_400_BAD_REQUEST)
        try:
            point = make_point(
                request.query_params["lng"],
                request.query_params["lat"],
                crs=request.query_params.get("crs", "wgs84"),
            )
            street = locate(point)
        except OutsideDistrictError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
        return Response(StreetSerializer(street).data)
