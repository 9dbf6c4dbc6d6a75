"""Street scoping, written once (CONVENTIONS.md, "Scarce things and tenancy").

Street staff see and change only their own street's objects; district staff and superusers see all;
everyone else sees nothing through these paths. Models opt in with `StreetScopedQuerySet` (setting
`street_lookup` when the street is reached through a relation) and their admins with
`StreetScopedAdmin`. Pages and APIs fetch single objects with `get_object_for_user` → 404 across streets.
"""

from typing import Any, TypeVar

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from leaflet.admin import LeafletGeoAdminMixin

M = TypeVar("M", bound=models.Model)


def user_sees_all_streets(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.role == "district_staff"))


def user_street_id(user: Any) -> int | None:
    """The street a user is scoped to, or None (district staff, riders, anonymous)."""
    if not user.is_authenticated or not user.is_active or user_sees_all_streets(user):
        return None
    return getattr(user, "street_id", None)


def scope_queryset(queryset: models.QuerySet, user: Any, street_lookup: str = "street") -> models.QuerySet:
    """Return `queryset` restricted to what `user` may see as staff."""
    if user_sees_all_streets(user):
        return queryset
    street_id = user_street_id(user)
    if street_id is None:
        return queryset.none()
    return queryset.filter(**{street_lookup: street_id})


class StreetScopedQuerySet(models.QuerySet):
    street_lookup = "street"

    def for_user(self, user: Any) -> "StreetScopedQuerySet":
        return scope_queryset(self, user or AnonymousUser(), self.street_lookup)  # type: ignore[return-value]


def street_lookup_for(model: type[models.Model]) -> str:
    qs = model._default_manager.get_queryset()
    return getattr(qs, "street_lookup", "street")


def get_object_for_user(queryset: models.QuerySet, user: Any, **lookup: Any) -> Any:
    """Return one object the staff `user` may see, or raise Http404 (never 403: existence is private)."""
    try:
        return scope_queryset(queryset, user, street_lookup_for(queryset.model)).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(_("未找到。")) from None


class StreetScopedAdminMixin:
    """Admin behaviour for street-scoped models: changelist, FK choices, object permissions, stamping."""

    street_lookup: str | None = None

    def _street_lookup(self) -> str:
        return self.street_lookup or street_lookup_for(self.model)  # type: ignore[attr-defined]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        qs = super().get_queryset(request)  # type: ignore[misc]
        return scope_queryset(qs, request.user, self._street_lookup())

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if "queryset" not in kwargs:
            if related._meta.label == "jurisdictions.Street":
                street_id = user_street_id(request.user)
                if street_id is not None:
                    kwargs["queryset"] = related.objects.filter(pk=street_id)
            elif hasattr(related._default_manager.get_queryset(), "for_user"):
                kwargs["queryset"] = related._default_manager.get_queryset().for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if "queryset" not in kwargs and hasattr(related._default_manager.get_queryset(), "for_user"):
            kwargs["queryset"] = related._default_manager.get_queryset().for_user(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    def _in_scope(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or user_sees_all_streets(request.user):
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)  # type: ignore[misc]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        street_id = user_street_id(request.user)
        if street_id is not None and self._street_lookup() == "street" and hasattr(obj, "street_id"):
            obj.street_id = street_id
        super().save_model(request, obj, form, change)  # type: ignore[misc]


class StreetScopedAdmin(StreetScopedAdminMixin, LeafletGeoAdminMixin, admin.ModelAdmin):
    """Base admin for every street-scoped model (with Leaflet map widgets for geometry fields)."""

    list_per_page = 50
