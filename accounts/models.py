import datetime
import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chaoyang_friendly.models import TimeStampedModel
from chaoyang_friendly.scoping import StreetScopedQuerySet

from .phone import mask_phone, normalize_phone, validate_phone


class Role(models.TextChoices):
    RIDER = "rider", _("骑手/快递员/网约车司机")
    STREET_STAFF = "street_staff", _("街道工作人员")
    DISTRICT_STAFF = "district_staff", _("区级工作人员/分析员")
    DISPATCHER = "dispatcher", _("调度服务账号")
    TEAM_MEMBER = "team_member", _("应急队成员")


STAFF_ROLES = {Role.STREET_STAFF, Role.DISTRICT_STAFF}
SERVICE_ROLES = {Role.DISPATCHER, Role.TEAM_MEMBER}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str | None, password: str | None = None, **extra: object) -> "User":
        user = self.model(phone=normalize_phone(phone) if phone else None, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("role", Role.DISTRICT_STAFF)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person or service account. People log in with a mainland mobile number."""

    phone = models.CharField(
        _("手机号"), max_length=11, unique=True, null=True, blank=True, validators=[validate_phone]
    )
    name = models.CharField(_("姓名/名称"), max_length=60, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.RIDER, db_index=True)
    street = models.ForeignKey(
        "jurisdictions.Street",
        verbose_name=_("所属街道"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("街道工作人员和应急队成员所属的街道。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    is_staff = models.BooleanField(_("可登录管理后台"), default=False)
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        # Granted explicitly to a user or group (never by role): see full phone numbers in the admin.
        permissions = [("view_personal_data", _("可查看未脱敏的个人信息"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.STREET_STAFF) | Q(street__isnull=False),
                name="street_staff_has_street",
                violation_error_message=_("街道工作人员必须属于一个街道。"),
            ),
            models.CheckConstraint(
                condition=Q(role__in=sorted(SERVICE_ROLES)) | Q(phone__isnull=False),
                name="person_has_phone",
                violation_error_message=_("除服务账号外，用户必须有手机号。"),
            ),
        ]

    def __str__(self) -> str:
        if self.name and self.phone:
            return f"{self.name} ({mask_phone(self.phone)})"
        return self.name or mask_phone(self.phone) or f"#{self.pk}"

    @property
    def is_rider(self) -> bool:
        return self.role == Role.RIDER

    @property
    def is_district_staff(self) -> bool:
        return self.role == Role.DISTRICT_STAFF or self.is_superuser

    @property
    def is_street_staff(self) -> bool:
        return self.role == Role.STREET_STAFF

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class RiderProfileQuerySet(StreetScopedQuerySet):
    street_lookup = "work_street"


class RiderProfile(TimeStampedModel):
    class Occupation(models.TextChoices):
        COURIER = "courier", _("快递员")
        FOOD_DELIVERY = "food_delivery", _("外卖骑手")
        RIDE_HAILING = "ride_hailing", _("网约车司机")
        OTHER = "other", _("其他")

    user = models.OneToOneField(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="rider_profile")
    occupation = models.CharField(_("职业"), max_length=20, choices=Occupation.choices, default=Occupation.OTHER)
    platform = models.CharField(_("平台或雇主"), max_length=60, blank=True)
    work_street = models.ForeignKey(
        "jurisdictions.Street",
        verbose_name=_("工作街道"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="riders",
    )

    objects = RiderProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("骑手档案")
        verbose_name_plural = _("骑手档案")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_occupation_display()}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def sms_code_key() -> bytes:
    """The server secret that keys the SMS-code HMAC: SMS_CODE_KEY, else derived from SECRET_KEY."""
    if settings.SMS_CODE_KEY:
        return settings.SMS_CODE_KEY.encode()
    return hashlib.sha256(b"chaoyang-friendly/sms-code\0" + settings.SECRET_KEY.encode()).digest()


def hash_sms_code(phone: str, code: str) -> str:
    """HMAC-SHA256 of `phone:code` under the server secret: a leaked table alone does not give codes."""
    return hmac.new(sms_code_key(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


class SmsCode(models.Model):
    """A one-time login code. Only its keyed HMAC is stored; `attempts` counts wrong guesses."""

    phone = models.CharField(_("手机号"), max_length=11, db_index=True)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"))
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("请求IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [
            models.Index(fields=["phone", "-created_at"], name="smscode_phone_recent"),
            models.Index(fields=["ip", "-created_at"], name="smscode_ip_recent"),
        ]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} @ {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


class ApiToken(TimeStampedModel):
    """A bearer token for the API (riders after SMS login, dispatch workers, response teams), or a rider's
    web session (`session_key` set; its secret is never handed out).

    Only the SHA-256 of the token is stored; the token itself is shown once. Rider tokens expire
    (`expires_at`, pushed forward on use); service-account tokens have none.
    """

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=60, blank=True)
    key_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    prefix = models.CharField(_("前缀"), max_length=8)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    session_key = models.CharField(_("网页会话"), max_length=40, blank=True, db_index=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name or self.user} ({self.prefix}…)"

    @property
    def masked_prefix(self) -> str:
        return f"{self.prefix[:4]}…" if not self.session_key else ""

    def is_live_at(self, now: "datetime.datetime") -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
