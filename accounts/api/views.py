from django.conf import settings
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..services import ThrottledError, api_token_create, sms_code_send, sms_login
from .serializers import LoginInputSerializer, LoginOutputSerializer, MeOutputSerializer, SmsCodeInputSerializer


def _client_ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _check_ip_limit(request: Request) -> None:
    if getattr(request, "limited", False):
        raise ThrottledError(_("该网络请求过于频繁，请稍后再试。"))


@method_decorator(ratelimit(key="ip", rate=settings.SMS_CODE_IP_RATE, block=False), name="post")
class SmsCodeApi(APIView):
    """Send a login code. The answer is the same whether or not the number has an account."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=SmsCodeInputSerializer,
        responses={
            202: inline_serializer(
                "SmsCodeSent", {"detail": serializers.CharField(), "resend_after": serializers.IntegerField()}
            )
        },
    )
    def post(self, request: Request) -> Response:
        _check_ip_limit(request)
        data = SmsCodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sms_code_send(phone=data.validated_data["phone"], ip=_client_ip(request))
        return Response(
            {"detail": _("验证码已发送，请查收短信。"), "resend_after": settings.SMS_CODE_RESEND_SECONDS},
            status=status.HTTP_202_ACCEPTED,
        )


@method_decorator(ratelimit(key="ip", rate=settings.LOGIN_IP_RATE, block=False), name="post")
class LoginApi(APIView):
    """Exchange phone + code for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=LoginInputSerializer, responses={200: LoginOutputSerializer})
    def post(self, request: Request) -> Response:
        _check_ip_limit(request)
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = sms_login(phone=data.validated_data["phone"], code=data.validated_data["code"])
        _token, secret = api_token_create(user=user, name="sms-login")
        return Response(LoginOutputSerializer({"token": secret, "user_id": user.pk, "role": user.role}).data)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(request.user).data)
