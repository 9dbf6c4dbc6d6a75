"""Every write about accounts: SMS codes, rider sign-in, tokens, service accounts."""

import hmac
import secrets
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chaoyang_friendly.errors import ApplicationError

from .models import ApiToken, RiderProfile, Role, SmsCode, User, hash_secret, hash_sms_code
from .phone import normalize_phone
from .sms import send_sms


class ThrottledError(ApplicationError):
    status_code = 429
    default_message = gettext_lazy("请求过于频繁，请稍后再试。")


class InvalidCodeError(ApplicationError):
    default_message = gettext_lazy("验证码错误或已失效，请重新获取。")


class ChallengeRequiredError(ApplicationError):
    """Too many codes for this number or from this address: a person must answer a challenge first.

    The views add `challenge_required` and a new challenge (accounts/challenge.py) to the answer."""

    default_message = gettext_lazy("请先回答图中的算式，再获取验证码。")

    def __init__(self, message: object = None) -> None:
        super().__init__(message, extra={"code": "challenge_required", "challenge_required": True})


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


def sms_code_cooldown(sent_today: int) -> int:
    """Seconds to wait after the `sent_today`-th code of the day to one number (grows, last step repeats)."""
    steps = settings.SMS_CODE_COOLDOWN_SECONDS
    return int(steps[min(max(sent_today, 1), len(steps)) - 1])


def sms_code_send(*, phone: str, ip: str | None = None, challenge_passed: bool = False) -> SmsCode:
    """Create and send a 6-digit login code to `phone`; return the stored row (an HMAC of the code).

    Behaves identically whether or not the number has an account. Every rule is counted from the
    SmsCode rows under a per-number lock (advisory lock on PostgreSQL, the write lock on SQLite), so it
    holds under concurrent requests and whether or not Redis is there:
    - a cool-down after each code that grows with the codes sent to the number today
      (SMS_CODE_COOLDOWN_SECONDS: 60 s, 2 min, 5 min, …);
    - SMS_CODE_DAILY_LIMIT codes a day per number *and client address*, so that another address cannot
      use up a rider's allowance, and SMS_CODE_DAILY_CEILING per number in all;
    - ChallengeRequiredError (unless `challenge_passed`) once the number had SMS_CODE_CHALLENGE_AFTER
      codes today or the address SMS_CODE_CHALLENGE_AFTER_PER_IP in the last hour.
    A code someone else requested still reaches the rider's phone and works (sms_code_verify accepts
    every live code), so none of these limits locks a rider out.
    """
    phone = _phone_or_error(phone)
    ip = ip or None
    with transaction.atomic():
        _sms_phone_lock(phone)
        now = timezone.now()
        midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        today = list(
            SmsCode.objects.filter(phone=phone, created_at__gte=midnight)
            .order_by("-created_at")
            .values_list("created_at", "ip")
        )
        if today:
            wait = today[0][0] + timedelta(seconds=sms_code_cooldown(len(today))) - now
            if wait > timedelta(0):
                seconds = max(1, int(-(-wait.total_seconds() // 1)))
                raise ThrottledError(
                    _("验证码发送过于频繁，请 %(s)d 秒后再试。已收到的验证码在有效期内仍可使用。") % {"s": seconds},
                    extra={"retry_after": seconds},
                )
        from_here = sum(1 for _created, sender in today if sender == ip)
        if from_here >= settings.SMS_CODE_DAILY_LIMIT or len(today) >= settings.SMS_CODE_DAILY_CEILING:
            raise ThrottledError(_("该号码今日获取验证码次数已达上限，请明天再试。"))
        if not challenge_passed:
            busy_address = (
                ip is not None
                and SmsCode.objects.filter(ip=ip, created_at__gt=now - timedelta(hours=1)).count()
                >= settings.SMS_CODE_CHALLENGE_AFTER_PER_IP
            )
            if len(today) >= settings.SMS_CODE_CHALLENGE_AFTER or busy_address:
                raise ChallengeRequiredError()
        code = f"{secrets.randbelow(1_000_000):06d}"
        sms = SmsCode.objects.create(
            phone=phone,
            code_hash=hash_sms_code(phone, code),
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


def sms_code_next_wait(*, phone: str) -> int:
    """Seconds until `phone` may receive another code (for the answer after a send)."""
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return sms_code_cooldown(SmsCode.objects.filter(phone=_phone_or_error(phone), created_at__gte=midnight).count())


def sms_code_verify(*, phone: str, code: str) -> str:
    """Consume a live code for `phone` if `code` matches one; return the normalised phone.

    Every live code of the number counts (not only the newest), so a code that someone else made the
    portal send later does not void the one the rider is typing. A wrong guess counts against every
    live code. Runs in autocommit on purpose: a wrong guess must be counted even though the call then
    fails. Both the guess counter and the claim are conditional UPDATEs, so concurrent guesses cannot
    exceed SMS_CODE_MAX_ATTEMPTS and a code is used at most once.
    """
    phone = _phone_or_error(phone)
    code = str(code or "").strip()
    now = timezone.now()
    max_attempts = settings.SMS_CODE_MAX_ATTEMPTS
    live = SmsCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now, attempts__lt=max_attempts)
    candidates = list(live.order_by("-created_at").values_list("pk", "code_hash")[:10])
    if candidates and code.isdigit() and len(code) == 6:
        digest = hash_sms_code(phone, code)
        match = [pk for pk, code_hash in candidates if hmac.compare_digest(digest, code_hash)]
        if match and live.filter(pk=match[0]).update(used_at=now) == 1:
            live.update(expires_at=now)  # the other codes sent for this sign-in are spent too
            return phone
    if candidates:
        live.filter(pk__in=[pk for pk, _hash in candidates]).update(attempts=F("attempts") + 1)
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


def api_token_expiry(*, user: User, now: datetime) -> datetime | None:
    """When a token of `user` used at `now` expires: riders' slide RIDER_TOKEN_TTL_SECONDS; others never."""
    if user.role != Role.RIDER:
        return None
    return now + timedelta(seconds=settings.RIDER_TOKEN_TTL_SECONDS)


def api_token_create(*, user: User, name: str = "", session_key: str = "") -> tuple[ApiToken, str]:
    """Create a token; return it with its plaintext, which is not stored and cannot be shown again.

    With `session_key` the row stands for a web session (listed and ended like a token); its secret is
    thrown away, so it cannot be used as a bearer token.
    """
    secret = "cyf_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:60],
        key_hash=hash_secret(secret),
        prefix=secret[4:12],
        session_key=session_key,
        expires_at=api_token_expiry(user=user, now=timezone.now()),
    )
    return token, secret


def api_token_touch(*, token: ApiToken, now: datetime) -> None:
    """Record a use and push a rider token's expiry forward (one write per token per few minutes)."""
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        expires_at = api_token_expiry(user=token.user, now=now)
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(last_used_at=now, expires_at=expires_at)
        token.last_used_at, token.expires_at = now, expires_at


def _session_delete(session_key: str) -> None:
    if session_key:
        import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).delete()


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke a token (ending the web session it stands for); revoking twice is harmless."""
    if token.user_id != actor.pk and not actor.is_superuser:
        raise ApplicationError(_("只能结束自己的登录。"))
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.revoked_at = token.revoked_at or now
    _session_delete(token.session_key)
    return token


def api_tokens_live_for_user(*, user: User) -> list[ApiToken]:
    """The user's tokens and web sessions that still work, newest first."""
    now = timezone.now()
    return list(
        ApiToken.objects.filter(user=user, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-created_at")
    )


def web_session_start(*, user: User, session_key: str, expires_at: datetime) -> ApiToken:
    """Record a rider's web sign-in so that it is listed with their tokens and can be ended."""
    token, _secret = api_token_create(user=user, name=_("网页登录"), session_key=session_key)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=expires_at)
    token.expires_at = expires_at
    return token


def web_session_end(*, session_key: str) -> None:
    """Revoke the record of a web session at logout (the session itself is flushed by the view)."""
    if session_key:
        ApiToken.objects.filter(session_key=session_key, revoked_at__isnull=True).update(revoked_at=timezone.now())


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
