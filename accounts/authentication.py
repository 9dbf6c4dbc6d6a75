from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiToken, hash_secret


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` (or `Token <token>`), checked against the stored SHA-256."""

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
        # One write per token per few minutes, not one per request.
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return "Bearer"
