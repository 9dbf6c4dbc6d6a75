from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chaoyang_friendly.scoping import StreetScopedAdmin

from .models import ApiToken, RiderProfile, SmsCode, User
from .personal import PersonalDataAdminMixin, user_may_view_personal_data


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Login secrets (one-time codes, API tokens): no staff role may see them, whatever its permissions."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class RiderProfileInline(admin.StackedInline):
    model = RiderProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(PersonalDataAdminMixin, DjangoUserAdmin):
    """Without `accounts.view_personal_data` the phone is shown masked (and read-only)."""

    ordering = ("-date_joined",)
    list_display = ("__str__", "role", "street", "is_staff", "is_active", "date_joined")
    list_filter = ("role", "is_staff", "is_active", "street")
    list_select_related = ("street",)
    search_fields = ("phone", "name")
    autocomplete_fields = ()
    inlines = (RiderProfileInline,)
    fieldsets = (
        (None, {"fields": ("phone", "name", "password")}),
        (_("角色与街道"), {"fields": ("role", "street")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("phone", "name", "role", "street", "password1", "password2")}),
    )

    def get_list_display(self, request: HttpRequest) -> Any:
        full = user_may_view_personal_data(request.user)

        @admin.display(description=_("手机号"), ordering="phone")
        def phone(obj: User) -> str:
            return (obj.phone or "") if full else obj.masked_phone

        return ("__str__", phone, *self.list_display[1:])

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or user_may_view_personal_data(request.user):
            return fieldsets
        return tuple(
            (title, {**opts, "fields": tuple("masked_phone" if f == "phone" else f for f in opts["fields"])})
            for title, opts in fieldsets
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is None or user_may_view_personal_data(request.user):
            return readonly
        return (*readonly, "masked_phone")

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: User) -> str:
        return obj.masked_phone


@admin.register(ApiToken)
class ApiTokenAdmin(SuperuserOnlyAdmin):
    """Superusers only; tokens are made by `manage.py create_service_token` or SMS login. A superuser may
    revoke one (set the revocation time); the digest is never shown."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_select_related = ("user",)
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at")


@admin.register(SmsCode)
class SmsCodeAdmin(SuperuserOnlyAdmin):
    """Superusers only, read-only, without the code digest (for support: was a code sent, used?)."""

    list_display = ("__str__", "attempts", "expires_at", "used_at", "ip")
    fields = ("__str__", "created_at", "expires_at", "attempts", "used_at", "ip")
    readonly_fields = fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RiderProfile)
class RiderProfileAdmin(PersonalDataAdminMixin, StreetScopedAdmin):
    """Riders who work in the staff member's street (district staff: all)."""

    list_display = ("user", "occupation", "platform", "work_street", "created_at")
    list_filter = ("occupation", "work_street")
    list_select_related = ("user", "work_street")
    search_fields = ("user__phone", "user__name", "platform")
    readonly_fields = ("user",)
