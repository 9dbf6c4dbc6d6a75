"""Street scoping, written once (CONVENTIONS.md, "Scarce things and tenancy").

Street staff see and change only their own street's objects; district staff and superusers see all;
everyone else sees nothing through these paths. Models opt in with `StreetScopedQuerySet` (setting
`street_lookup` when the street is reached through a relation) and their admins with
`StreetScopedAdmin`. Pages and APIs fetch single objects with `get_object_for_user` → 404 across streets.
Every FK/M2M choice in those admins (and their `StreetScopedTabularInline`s) is scoped the same way, users
included (`people_for_user`), with one neutral error for an id that is not theirs or does not exist; their
`autocomplete_fields` are served from those choices, never from the related model's admin.
"""

from typing import Any, TypeVar

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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


# A street's people, as the admin offers them for a user field: the street's staff and team accounts, the
# riders who work there, and the members (present and past) of its party branches.
PEOPLE_STREET_LOOKUPS = ("street", "rider_profile__work_street", "party_memberships__branch__street")
# The same answer whether an id does not exist or belongs to another street.
NEUTRAL_CHOICE_ERRORS = {
    "invalid_choice": gettext_lazy("请选择有效的选项。"),
    "invalid_pk_value": gettext_lazy("请选择有效的选项。"),
}


def people_for_user(user: Any) -> models.QuerySet:
    """Return the users that staff `user` may pick or look up: all for district staff, else their street's
    people (PEOPLE_STREET_LOOKUPS), nobody for anyone else."""
    User = get_user_model()
    users = User._default_manager.all()
    if user_sees_all_streets(user):
        return users
    street_id = user_street_id(user)
    if street_id is None:
        return users.none()
    of_street = models.Q()
    for lookup in PEOPLE_STREET_LOOKUPS:  # subqueries: no duplicate rows, no DISTINCT
        of_street |= models.Q(pk__in=User._base_manager.filter(**{lookup: street_id}).values("pk"))
    return users.filter(of_street)


def choices_for_user(model: type[models.Model], user: Any) -> models.QuerySet | None:
    """The objects of `model` that staff `user` may choose in a form, or None when `model` is not scoped."""
    if model._meta.label == "jurisdictions.Street":
        street_id = user_street_id(user)
        return model._default_manager.filter(pk=street_id) if street_id is not None else None
    if model is get_user_model():
        return people_for_user(user)
    qs = model._default_manager.get_queryset()
    return qs.for_user(user) if hasattr(qs, "for_user") else None


def autocomplete_url_name(admin_site: Any, model: type[models.Model]) -> str:
    return f"{admin_site.name}:{model._meta.app_label}_{model._meta.model_name}_scoped_autocomplete"


class ScopedAutocompleteSelect(AutocompleteSelect):
    """Django's select2 widget, asking the source admin's scoped endpoint instead of the related model's admin
    (whose queryset is not the staff member's choices, and which street staff may not even view)."""

    def __init__(self, *args: Any, url_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scoped_url_name = url_name

    def get_url(self) -> str:
        return reverse(self.scoped_url_name)


class ScopedAutocompleteSelectMultiple(ScopedAutocompleteSelect, AutocompleteSelectMultiple):
    pass


class ScopedChoicesMixin:
    """Every FK and M2M choice of an admin or inline limited to what the staff member may see, with neutral
    errors, and `autocomplete_fields` served from those same choices."""

    def _autocomplete_url_name(self) -> str:
        owner = getattr(self, "parent_model", None) or self.model  # type: ignore[attr-defined]
        return autocomplete_url_name(self.admin_site, owner)  # type: ignore[attr-defined]

    def _scope_choices(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any], multiple: bool) -> None:
        if "queryset" not in kwargs:
            queryset = choices_for_user(db_field.related_model, request.user)
            if queryset is not None:
                kwargs["queryset"] = queryset
        kwargs["error_messages"] = {**NEUTRAL_CHOICE_ERRORS, **kwargs.get("error_messages", {})}
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            widget = ScopedAutocompleteSelectMultiple if multiple else ScopedAutocompleteSelect
            kwargs["widget"] = widget(
                db_field,
                self.admin_site,
                using=kwargs.get("using"),
                url_name=self._autocomplete_url_name(),  # type: ignore[attr-defined]
            )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._scope_choices(db_field, request, kwargs, multiple=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._scope_choices(db_field, request, kwargs, multiple=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    def autocomplete_queryset(self, db_field: Any, request: HttpRequest) -> models.QuerySet:
        """The choices of `db_field` for this request, as its form field offers them."""
        if db_field.many_to_many:
            field = self.formfield_for_manytomany(db_field, request)
        else:
            field = self.formfield_for_foreignkey(db_field, request)
        return field.queryset


class ScopedAutocompleteJsonView(AutocompleteJsonView):
    """Select2 answers for one autocomplete field of `source_admin` (or one of its inlines): the field's
    scoped choices searched with the related admin's search_fields; allowed to whoever may add or change."""

    source_admin: Any = None

    def process_request(self, request: HttpRequest) -> tuple[str, Any, Any, str]:
        term = request.GET.get("term", "")
        model_name, field_name = request.GET.get("model_name", ""), request.GET.get("field_name", "")
        sources = [self.source_admin, *self.source_admin.get_inline_instances(request)]
        source = next((s for s in sources if s.model._meta.model_name == model_name), None)
        if source is None or field_name not in source.get_autocomplete_fields(request):
            raise PermissionDenied
        try:
            source_field = source.model._meta.get_field(field_name)
        except FieldDoesNotExist as exc:
            raise PermissionDenied from exc
        self.source = source
        remote_model = source_field.remote_field.model
        try:
            model_admin = self.admin_site.get_model_admin(remote_model)
        except NotRegistered as exc:
            raise PermissionDenied from exc
        return term, model_admin, source_field, remote_model._meta.pk.attname

    def has_perm(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self.source_admin.has_add_permission(request) or self.source_admin.has_change_permission(request))

    def get_queryset(self) -> models.QuerySet:
        qs = self.source.autocomplete_queryset(self.source_field, self.request)
        qs = qs.complex_filter(self.source_field.get_limit_choices_to())
        qs, use_distinct = self.model_admin.get_search_results(self.request, qs, self.term)
        ordering = self.model_admin.get_ordering(self.request) or ()
        qs = qs.order_by(*ordering, "pk")
        return qs.distinct() if use_distinct else qs


class StreetScopedAdminMixin(ScopedChoicesMixin):
    """Admin behaviour for street-scoped models: changelist, FK choices, object permissions, stamping."""

    street_lookup: str | None = None

    def _street_lookup(self) -> str:
        return self.street_lookup or street_lookup_for(self.model)  # type: ignore[attr-defined]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        qs = super().get_queryset(request)  # type: ignore[misc]
        return scope_queryset(qs, request.user, self._street_lookup())

    def get_urls(self) -> list:
        opts = self.model._meta  # type: ignore[attr-defined]
        view = self.admin_site.admin_view(self.scoped_autocomplete_view)  # type: ignore[attr-defined]
        name = f"{opts.app_label}_{opts.model_name}_scoped_autocomplete"
        return [path("autocomplete/", view, name=name), *super().get_urls()]  # type: ignore[misc]

    def scoped_autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        return ScopedAutocompleteJsonView.as_view(admin_site=self.admin_site, source_admin=self)(request)  # type: ignore[attr-defined]

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


class StreetScopedTabularInline(ScopedChoicesMixin, admin.TabularInline):
    """An inline of a StreetScopedAdmin: its choices are scoped too (autocomplete through the parent's URL)."""
