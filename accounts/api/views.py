from django.conf import settings
from django.contrib.auth import logout
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chaoyang_friendly.clientip import client_ip

from ..challenge import challenge_check, challenge_new
from ..models import ApiToken
from ..services import (
    ChallengeRequiredError,
    ThrottledError,
    api_token_create,
    api_token_revoke,
    sms_code_next_wait,
    sms_code_send,
    sms_login,
    web_session_end,
)
from .serializers import LoginInputSerializer, LoginOutputSerializer, MeOutputSerializer, SmsCodeInputSerializer


def _check_ip_limit(request: Request) -> None:
    if getattr(request, "limited", False):
        raise ThrottledError(_("该网络请求过于频繁，请稍后再试。"))


@method_decorator(ratelimit(key="ip", rate=settings.SMS_CODE_IP_RATE, block=False), name="post")
class SmsCodeApi(APIView):
    """Send a login code. The answer is the same whether or not the number has an account.

    After a few codes for a number or from an address the answer is 400 with `challenge_required` and a
    `challenge` (`key`, `image_url`): send the request again with `challenge_key` and `challenge_answer`.
    A 429 carries `retry_after` (seconds).
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=SmsCodeInputSerializer,
        responses={
            202: inline_serializer(
                "SmsCodeSent", {"detail": serializers.CharField(), "resend_after": serializers.IntegerField()}
            ),
            400: inline_serializer(
                "SmsCodeChallenge",
                {
                    "detail": serializers.CharField(),
                    "code": serializers.CharField(),
                    "challenge_required": serializers.BooleanField(),
                    "challenge": inline_serializer(
                        "SmsChallenge",
                        {
                            "key": serializers.CharField(),
                            "image_url": serializers.CharField(),
                            "expires_in": serializers.IntegerField(),
                        },
                    ),
                },
            ),
        },
    )
    def post(self, request: Request) -> Response:
        _check_ip_limit(request)
        data = SmsCodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            passed = False
            if values.get("challenge_key"):
                passed = challenge_check(key=values["challenge_key"], answer=values.get("challenge_answer", ""))
                if not passed:
                    raise ChallengeRequiredError(_("算式答案不对，请看新的图片再试。"))
            sms_code_send(phone=values["phone"], ip=client_ip(request), challenge_passed=passed)
        except ChallengeRequiredError as exc:
            exc.extra["challenge"] = challenge_new()
            raise
        return Response(
            {"detail": _("验证码已发送，请查收短信。"), "resend_after": sms_code_next_wait(phone=values["phone"])},
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


class LogoutApi(APIView):
    """End this sign-in: revoke the bearer token used for the request (or end the web session)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            api_token_revoke(token=request.auth, actor=request.user)
        else:
            web_session_end(session_key=request.session.session_key or "")
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
