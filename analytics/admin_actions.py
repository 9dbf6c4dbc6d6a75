"""Every export whose definition names an `admin_model` becomes an action on that model's changelist:
the selected rows (or, with "select all", the whole filtered changelist) are streamed with the same
scoping, columns, masking and log as the other channels. Added here so no domain admin imports analytics."""

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chaoyang_friendly.csvexport import stream_csv

from .filters import parse_filters
from .registry import EXPORTS


def _make_action(definition: Any) -> Any:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any) -> Any:
        filters = parse_filters({"lang": request.GET.get("lang", "")}, request.user)
        spec = definition.build(
            user=request.user, filters=filters, queryset=definition.base_queryset().filter(pk__in=queryset.values("pk"))
        )
        return stream_csv(spec, user=request.user, channel="admin")

    action.__name__ = f"export_{definition.name.replace('-', '_')}"
    action.short_description = _("导出 CSV：%(title)s") % {"title": definition.title}  # type: ignore[attr-defined]
    return action


def install() -> None:
    for definition in EXPORTS.values():
        if not definition.admin_model:
            continue
        model = apps.get_model(definition.admin_model)
        model_admin = admin.site._registry.get(model)
        if model_admin is None:
            continue
        model_admin.actions = [*(model_admin.actions or []), _make_action(definition)]
