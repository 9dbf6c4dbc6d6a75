"""The project's URLconf plus views that fail on purpose, for tests/core/test_error_pages.py."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chaoyang_friendly import urls as project_urls

handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


@ratelimit(key="ip", rate="1/h", block=True)
def limited(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


class LimitedApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        raise Ratelimited


urlpatterns = [
    path("test-errors/forbidden/", forbidden),
    path("test-errors/limited/", limited),
    path("test-errors/broken/", broken),
    path("api/test-errors/limited/", LimitedApi.as_view()),
    path("api/test-errors/broken/", broken),
    *project_urls.urlpatterns,
]
