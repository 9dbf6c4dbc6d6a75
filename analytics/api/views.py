from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.permissions import IsStaff
from chaoyang_friendly.csvexport import stream_csv

from ..filters import parse_filters
from ..services import export_definition


class ExportCsvApi(APIView):
    """Stream an export as CSV (UTF-8 with BOM). Street staff get their own street only."""

    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("street", OpenApiTypes.STR, description="street code, e.g. SJ"),
            OpenApiParameter("lang", OpenApiTypes.STR, enum=["zh", "en"]),
        ],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, name: str) -> StreamingHttpResponse:
        definition = export_definition(name)
        filters = parse_filters(request.query_params, request.user)
        return stream_csv(
            definition.build(user=request.user, filters=filters), user=request.user, lang=filters.lang, channel="api"
        )
