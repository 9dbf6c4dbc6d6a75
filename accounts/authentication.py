from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiToken, hash_secret


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` (or `Token <token>`), checked against the stored SHA-256.

    Revoked and expired tokens are refused; a rider token's expiry slides forward with use."""

    keywords = ("bearer", "token")

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="ignore").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式错误。"))
        secret = header[1].decode(errors="ignore")
        try:
            token = ApiToken.objects.select_related("user").get(key_hash=hash_secret(secret), revoked_at__isnull=True)
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("令牌无效或已吊销。")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("账户已停用。"))
        now = timezone.now()
        if token.session_key or not token.is_live_at(now):
            raise exceptions.AuthenticationFailed(_("令牌已过期，请重新登录。"))
        from .services import api_token_touch  # services → errors → DRF views → this module

        api_token_touch(token=token, now=now)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return "Bearer"
