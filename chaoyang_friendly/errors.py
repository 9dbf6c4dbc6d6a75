"""Domain errors and the single DRF exception handler that maps them to HTTP answers."""

from typing import Any

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django_ratelimit.exceptions import Ratelimited
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A rule of the domain was broken. The message is translated and shown to the user as is."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("请求无法处理。")

    def __init__(self, message: Any = None, *, extra: dict[str, Any] | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.extra = extra or {}
        super().__init__(force_str(self.message))


class ConflictError(ApplicationError):
    """The request lost a race or conflicts with the current state (409)."""

    status_code = status.HTTP_409_CONFLICT


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND


class OutsideDistrictError(ApplicationError):
    default_message = _("该位置不在朝阳区范围内。")


class InvalidCoordinatesError(ApplicationError):
    default_message = _("坐标无效。")


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(
            {"detail": force_str(exc.message), **exc.extra},
            status=exc.status_code,
        )
    if isinstance(exc, Ratelimited):
        # django-ratelimit's block=True raises a PermissionDenied; DRF would answer 403.
        exc = Throttled(detail=_("请求过于频繁，请稍后再试。"))
    return exception_handler(exc, context)
