from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from chaoyang_friendly.scoping import StreetScopedAdmin

from .models import ApiToken, RiderProfile, SmsCode, User


class RiderProfileInline(admin.StackedInline):
    model = RiderProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "prefix", "key_hash", "created_at", "last_used_at")
    exclude = ()

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # tokens are made by `manage.py create_service_token` or SMS login


@admin.register(SmsCode)
class SmsCodeAdmin(admin.ModelAdmin):
    list_display = ("__str__", "attempts", "expires_at", "used_at", "ip")
    readonly_fields = ("phone", "code_hash", "created_at", "expires_at", "attempts", "used_at", "ip")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(RiderProfile)
class RiderProfileAdmin(StreetScopedAdmin):
    """Riders who work in the staff member's street (district staff: all)."""

    list_display = ("user", "occupation", "platform", "work_street", "created_at")
    list_filter = ("occupation", "work_street")
    list_select_related = ("user", "work_street")
    search_fields = ("user__phone", "user__name", "platform")
    readonly_fields = ("user",)
