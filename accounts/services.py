"""Every write about accounts: SMS codes, rider sign-in, tokens, service accounts."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chaoyang_friendly.cache import cache_available
from chaoyang_friendly.errors import ApplicationError

from .models import ApiToken, RiderProfile, Role, SmsCode, User, hash_secret
from .phone import normalize_phone
from .sms import send_sms


class ThrottledError(ApplicationError):
    status_code = 429
    default_message = gettext_lazy("请求过于频繁，请稍后再试。")


class InvalidCodeError(ApplicationError):
    default_message = gettext_lazy("验证码错误或已失效，请重新获取。")


def _phone_or_error(phone: str) -> str:
    from django.core.exceptions import ValidationError

    try:
        return normalize_phone(phone)
    except ValidationError as exc:
        raise ApplicationError(exc.messages[0]) from None


def _sms_phone_lock(phone: str) -> None:
    """Serialise code requests for one number until the transaction ends."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"sms-code:{phone}"])
        else:  # SQLite: a write that touches no row still takes the database's write lock
            cursor.execute(f"UPDATE {SmsCode._meta.db_table} SET attempts = attempts WHERE 0 = 1")  # noqa: S608


def sms_code_send(*, phone: str, ip: str | None = None) -> SmsCode:
    """Create and send a 6-digit login code to `phone`.

    Behaves identically whether or not the number has an account. At most one code per number per
    SMS_CODE_RESEND_SECONDS and SMS_CODE_DAILY_LIMIT per day. The checks run under a per-number lock
    (advisory lock on PostgreSQL), so they hold under concurrent requests: the daily count comes from the
    SmsCode rows; the resend window from the cache (SET NX), or from the rows while the cache is away.
    """
    phone = _phone_or_error(phone)
    with transaction.atomic():
        _sms_phone_lock(phone)
        now = timezone.now()
        resend_key = f"sms:resend:{phone}"
        recent = SmsCode.objects.filter(
            phone=phone, created_at__gt=now - timedelta(seconds=settings.SMS_CODE_RESEND_SECONDS)
        )
        # add() fails open (True) while Redis is away; the rows then decide.
        if not cache.add(resend_key, 1, timeout=settings.SMS_CODE_RESEND_SECONDS) or (
            not cache_available() and recent.exists()
        ):
            raise ThrottledError(_("验证码发送过于频繁，请 %(s)d 秒后再试。") % {"s": settings.SMS_CODE_RESEND_SECONDS})
        midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        if SmsCode.objects.filter(phone=phone, created_at__gte=midnight).count() >= settings.SMS_CODE_DAILY_LIMIT:
            raise ThrottledError(_("该号码今日获取验证码次数已达上限，请明天再试。"))
        code = f"{secrets.randbelow(1_000_000):06d}"
        sms = SmsCode.objects.create(
            phone=phone,
            code_hash=hash_secret(f"{phone}:{code}"),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
            ip=ip,
        )
    minutes = settings.SMS_CODE_TTL_SECONDS // 60
    send_sms(
        phone,
        _("【友好朝阳】您的登录验证码是 %(code)s，%(m)d 分钟内有效。请勿告诉他人。") % {"code": code, "m": minutes},
    )
    return sms


def sms_code_verify(*, phone: str, code: str) -> str:
    """Consume the newest live code for `phone` if `code` matches; return the normalised phone.

    Runs in autocommit on purpose: a wrong guess must be counted even though the call then fails.
    Both the guess counter and the claim are conditional UPDATEs, so concurrent guesses cannot exceed
    SMS_CODE_MAX_ATTEMPTS and a code is used at most once.
    """
    phone = _phone_or_error(phone)
    code = str(code or "").strip()
    now = timezone.now()
    sms = SmsCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now).order_by("-created_at").first()
    if sms is None or not code.isdigit() or len(code) != 6:
        if sms is not None:
            SmsCode.objects.filter(pk=sms.pk, attempts__lt=settings.SMS_CODE_MAX_ATTEMPTS).update(
                attempts=F("attempts") + 1
            )
        raise InvalidCodeError()
    live = SmsCode.objects.filter(pk=sms.pk, used_at__isnull=True, attempts__lt=settings.SMS_CODE_MAX_ATTEMPTS)
    if constant_time_compare(hash_secret(f"{phone}:{code}"), sms.code_hash):
        if live.update(used_at=now) == 1:
            return phone
    else:
        live.update(attempts=F("attempts") + 1)
    raise InvalidCodeError()


def rider_get_or_create(*, phone: str) -> User:
    """Return the account for `phone`, creating a rider (with an empty profile) on first sign-in."""
    try:
        with transaction.atomic():
            user, created = User.objects.get_or_create(phone=phone, defaults={"role": Role.RIDER})
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                RiderProfile.objects.create(user=user)
    except IntegrityError:  # a concurrent first sign-in created it
        user = User.objects.get(phone=phone)
    return user


def sms_login(*, phone: str, code: str) -> User:
    """Verify the code and return the rider. Staff accounts must use their password in the admin."""
    phone = sms_code_verify(phone=phone, code=code)
    user = rider_get_or_create(phone=phone)
    if not user.is_active:
        raise ApplicationError(_("该账户已停用。"))
    if user.role != Role.RIDER:
        raise ApplicationError(_("工作人员请使用密码登录管理后台。"))
    return user


def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; return it with its plaintext, which is not stored and cannot be shown again."""
    secret = "cyf_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:60], key_hash=hash_secret(secret), prefix=secret[4:12])
    return token, secret


@transaction.atomic
def service_account_create(*, name: str, role: str, street_code: str | None = None) -> tuple[User, str]:
    """Create (or reuse) a dispatcher or team service account and return it with a new token."""
    from jurisdictions.models import Street

    if role not in {Role.DISPATCHER, Role.TEAM_MEMBER}:
        raise ApplicationError(_("服务账号角色必须是 dispatcher 或 team_member。"))
    street = Street.objects.get(code=street_code) if street_code else None
    user, _created = User.objects.get_or_create(
        name=name, role=role, phone=None, defaults={"street": street, "password": "!"}
    )
    _token, secret = api_token_create(user=user, name=name)
    return user, secret
