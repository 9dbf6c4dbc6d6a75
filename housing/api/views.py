"""The housing REST API: reads call a selector, each write is one APIView calling one service."""

from typing import Any

from django.contrib.gis.geos import Point
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination

from accounts.permissions import IsRider, IsStaff
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.geo import make_point
from chaoyang_friendly.scoping import get_object_for_user

from .. import selectors
from ..models import Application, Bed, Lease, Offer, Project, Room, RoomType
from ..services import (
    application_submit,
    application_withdraw,
    bed_allocate,
    offer_accept,
    offer_decline,
    room_allocate,
)
from .serializers import (
    AllocationInputSerializer,
    ApplicationDetailOutputSerializer,
    ApplicationInputSerializer,
    ApplicationOutputSerializer,
    LeaseOutputSerializer,
    OfferOutputSerializer,
    ProjectDetailOutputSerializer,
    ProjectFilterSerializer,
    ProjectOutputSerializer,
)


def _near(data: dict[str, Any]) -> Point | None:
    if "lng" not in data:
        return None
    return make_point(data["lng"], data["lat"], crs=data.get("crs", "wgs84"))


PROJECT_FILTERS = [
    OpenApiParameter("rent_max", int, description="月租金上限(元)：至少一个房型不高于此价"),
    OpenApiParameter("room_type", str, enum=RoomType.Kind.values, description="房型类别"),
    OpenApiParameter("has_vacancy", bool, description="只看有空床位的项目"),
    OpenApiParameter("lng", float, description="按距离排序的经度"),
    OpenApiParameter("lat", float, description="按距离排序的纬度"),
    OpenApiParameter("crs", str, enum=["wgs84", "gcj02"]),
    OpenApiParameter("radius_km", float, description="只看该半径内的项目"),
]


class ProjectListApi(ListAPIView):
    """Open projects as GeoJSON with rent range, vacancies per room type and (with lng/lat) distance."""

    serializer_class = ProjectOutputSerializer
    pagination_class = GeoJsonPagination

    @extend_schema(parameters=PROJECT_FILTERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet:
        params = ProjectFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        radius = data.get("radius_km")
        return selectors.project_list(
            rent_max=data.get("rent_max"),
            kind=data.get("room_type"),
            has_vacancy=data.get("has_vacancy"),
            near=_near(data),
            radius_m=radius * 1000 if radius else None,
        )


class ProjectDetailApi(RetrieveAPIView):
    serializer_class = ProjectDetailOutputSerializer

    def get_object(self) -> Project:
        return selectors.project_detail(pk=self.kwargs["pk"])


class ApplicationListCreateApi(APIView):
    """GET: the rider's own applications. POST: apply (201; status "rejected" with reasons if ineligible)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ApplicationOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        apps = selectors.application_list_for_rider(user=request.user)
        return Response(ApplicationOutputSerializer(apps, many=True).data)

    @extend_schema(request=ApplicationInputSerializer, responses={201: ApplicationDetailOutputSerializer})
    def post(self, request: Request) -> Response:
        if not IsRider().has_permission(request, self):
            raise PermissionDenied(_("只有骑手账号可以申请住房。"))
        data = ApplicationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        project = Project.objects.listed().filter(pk=d["project"]).first()
        if project is None:
            raise Http404(_("未找到该项目。"))
        room_types = list(RoomType.objects.filter(pk__in=d["room_types"]))
        if len(room_types) != len(set(d["room_types"])):
            raise ApplicationError(_("房型不存在。"))
        work_point = None
        if d.get("work_lng") or d.get("work_lat"):
            work_point = make_point(d.get("work_lng"), d.get("work_lat"), crs=d["crs"])
        application = application_submit(
            rider=request.user,
            project=project,
            room_types=room_types,
            household_kind=d["household_kind"],
            gender=d["gender"],
            move_in_date=d["move_in_date"],
            household_members=[dict(m) for m in d["household_members"]],
            work_point=work_point,
        )
        return Response(ApplicationDetailOutputSerializer(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetailApi(APIView):
    @extend_schema(responses={200: ApplicationDetailOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        application = selectors.application_get_for_rider(user=request.user, pk=pk)
        return Response(ApplicationDetailOutputSerializer(application).data)


class ApplicationWithdrawApi(APIView):
    @extend_schema(request=None, responses={200: ApplicationDetailOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.application_get_for_rider(user=request.user, pk=pk)
        application = application_withdraw(application=application, actor=request.user)
        return Response(ApplicationDetailOutputSerializer(application).data)


class OfferListApi(ListAPIView):
    serializer_class = OfferOutputSerializer
    queryset = Offer.objects.none()  # for the schema; get_queryset scopes to the rider

    def get_queryset(self) -> QuerySet:
        return selectors.offer_list_for_rider(user=self.request.user)


class OfferAcceptApi(APIView):
    @extend_schema(request=None, responses={201: LeaseOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        offer = selectors.offer_get_for_rider(user=request.user, pk=pk)
        lease = offer_accept(offer=offer, actor=request.user)
        return Response(LeaseOutputSerializer(lease).data, status=status.HTTP_201_CREATED)


class OfferDeclineApi(APIView):
    @extend_schema(request=None, responses={200: OfferOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        offer = selectors.offer_get_for_rider(user=request.user, pk=pk)
        offer = offer_decline(offer=offer, actor=request.user)
        return Response(OfferOutputSerializer(offer).data)


class LeaseListApi(ListAPIView):
    serializer_class = LeaseOutputSerializer
    queryset = Lease.objects.none()  # for the schema; get_queryset scopes to the rider

    def get_queryset(self) -> QuerySet:
        return selectors.lease_list_for_rider(user=self.request.user)


class AllocationApi(APIView):
    """Staff give a bed (or a whole room) to an application: 201 with the lease, or 409 if it is taken.

    Applications, beds and rooms of another street are 404.
    """

    permission_classes = [IsStaff]

    @extend_schema(request=AllocationInputSerializer, responses={201: LeaseOutputSerializer})
    def post(self, request: Request) -> Response:
        if not request.user.has_perm("housing.add_lease"):
            raise PermissionDenied(_("您没有分配床位的权限。"))
        data = AllocationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        application = get_object_for_user(Application.objects.all(), request.user, pk=d["application"])
        if "bed" in d:
            bed = get_object_for_user(Bed.objects.all(), request.user, pk=d["bed"])
            lease = bed_allocate(bed=bed, application=application, actor=request.user, start=d.get("start"))
        else:
            room = get_object_for_user(Room.objects.all(), request.user, pk=d["room"])
            lease = room_allocate(room=room, application=application, actor=request.user, start=d.get("start"))
        return Response(LeaseOutputSerializer(lease).data, status=status.HTTP_201_CREATED)
